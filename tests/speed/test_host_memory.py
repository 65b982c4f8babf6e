"""speed/host_memory.py: freed buffers are reused instead of being mapped afresh (counted in page
faults, never timed), and a user's own allocator settings are left alone."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
import resource, sys, torch
from sparselab.speed.host_memory import reuse_freed_memory
applied = reuse_freed_memory() if sys.argv[1] == "apply" else False
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    x = torch.ones(16 << 20)  # 64 MB written: above glibc's largest dynamic mmap threshold (32 MB)
    del x
print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""
PAGES_PER_BUFFER = (64 << 20) // 4096


def _glibc() -> bool:
    try:
        return sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (ValueError, OSError):
        return False


pytestmark = pytest.mark.skipif(not _glibc(), reason="glibc Linux only")


def _faults(mode: str, **env: str) -> tuple[bool, int]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True,
                         env={**os.environ, **env}).stdout.split()
    return out[0] == "True", int(out[1])


def test_a_freed_buffer_is_reused_not_faulted_in_again() -> None:
    applied, faults = _faults("apply")
    assert applied and faults < 10 * PAGES_PER_BUFFER  # measured 2-6 buffers' worth: the heap is reused
    plain_applied, plain = _faults("plain")
    assert not plain_applied and plain > 15 * PAGES_PER_BUFFER  # every buffer mapped and faulted afresh


def test_the_user_s_allocator_settings_win() -> None:
    applied, faults = _faults("apply", MALLOC_TOP_PAD_="131072")
    assert not applied and faults > 15 * PAGES_PER_BUFFER
