"""Runs for the integrity tests: a process killed inside a checkpoint write, bit flips, file walks."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import ROOT, env

# main.py in a process that SIGKILLs itself half-way through its N-th write of checkpoint.pt, inside
# foundations.io.atomic_write: the temporary file is left behind with half a checkpoint in it.
KILL_SCRIPT = """
import os, signal, sys
from sparselab.core import io as fio
target, argv = int(sys.argv[1]), sys.argv[2:]
original = fio.atomic_write
seen = [0]
def atomic_write(path, write, **how):
    if path.name == "checkpoint.pt":
        seen[0] += 1
        if seen[0] == target:
            def half(f):
                f.write(b"SPARSELAB-CHECKPOINT half of it")
                f.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            return original(path, half)
    return original(path, write, **how)
fio.atomic_write = atomic_write
from sparselab import main
sys.exit(main.main(argv))
"""


def run_killed_at_checkpoint(n: int, *args: str) -> subprocess.CompletedProcess:
    """main.py `args`, killed (SIGKILL) while writing its `n`-th checkpoint."""
    return subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(n), *args], capture_output=True, text=True,
                          env=env(), cwd=ROOT, timeout=600)


def flip_bit(path: Path, offset: int | None = None) -> None:
    """Flip the lowest bit of one byte (the middle one unless `offset` is given)."""
    data = bytearray(path.read_bytes())
    i = len(data) // 2 if offset is None else offset
    data[i] ^= 1
    path.write_bytes(bytes(data))


def temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*.tmp")]


def one(root: Path, pattern: str) -> Path:
    found = sorted(root.glob(pattern))
    assert len(found) == 1, (pattern, found)
    return found[0]
