"""Atomic file writes, safe checkpoint loading and per-job locks.

Every file a job writes goes through `atomic_write`: a temporary file in the same folder is written,
flushed and fsynced, then renamed over the target, so a reader sees either the old file or the new
one, never half of one. Checkpoints are read with `torch.load(weights_only=True)` and a file that
cannot be read is a `UsageError` that names it.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import filelock

from foundations.errors import UsageError

LOCK_NAME = ".lock"


def atomic_write(path: Path | str, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write `path` atomically; `write` receives a binary file object."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes(path: Path | str, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def write_text(path: Path | str, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path | str, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: Path | str) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (ValueError, UnicodeDecodeError) as e:
        raise UsageError(f"corrupt file {path}: {e}") from None


def save_torch(path: Path | str, obj: Any) -> None:
    """`torch.save` through an atomic write."""
    import torch

    atomic_write(path, lambda f: torch.save(obj, f))


def load_torch(path: Path | str, map_location: Any = "cpu") -> Any:
    """`torch.load(weights_only=True)`; an unreadable file is a `UsageError` naming it."""
    import torch

    path = Path(path)
    if not path.exists():
        raise UsageError(f"missing file {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # pickle, zip and unpickling-policy errors all mean the same to a user
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UsageError(f"corrupt checkpoint {path}: {first_line}") from None


@contextmanager
def job_lock(directory: Path | str, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the job directory's lock file for the duration of the block.

    filelock uses flock(2) on POSIX, which the kernel releases when the holder dies, so a lock left
    by a killed process is taken over at once. `on_wait` is called once if another process holds it.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(directory / LOCK_NAME))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        if on_wait is not None:
            on_wait()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
