"""Atomic writes (temporary file, fsync, rename: a reader never sees half a file), each remembered with its sha256;
verified torch loads (`weights_only=True`), self-checking checkpoints, per-job locks. JSON never holds NaN."""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import filelock

from sparselab.core import integrity, journal, layout
from sparselab.core.errors import JobFailed, UsageError
from sparselab.core.integrity import DONE_FILE, LOCK_NAME

CHECKPOINT_MAGIC = b"SPARSELAB-CHECKPOINT v1 sha256="
# The folder is fsynced after done.json only: that covers every earlier rename (data is fsynced before each), and a
# rename lost before it leaves the job unfinished, to be resumed. One folder fsync per job instead of 8 per level.
SYNC_FOLDER_AFTER = (DONE_FILE,)
_DIGEST_LENGTH = 64
_UMASK_LOCK = threading.Lock()


def atomic_write(path: Path | str, write: Callable[[io.BufferedWriter], None], sequential: bool = False) -> None:
    """Write `path` atomically with `write(binary file)`; `sequential`: `write` only appends, so the digest is
    hashed from the bytes written instead of read back. The mode is the umask's (mkstemp alone gives 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, "wb") as f:
            hashed = _HashingWriter(f) if sequential else None
            write(f if hashed is None else hashed)  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        journal.record(path, integrity.remember(path, hashed.hexdigest() if hashed is not None else None))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if path.name in SYNC_FOLDER_AFTER:
        _fsync_dir(path.parent)


class _HashingWriter:
    """`write` and `flush` only, hashing what is written (torch.save's zip writer only appends; a writer that
    seeks back, like `zipfile` on a seekable file, must not use it)."""

    def __init__(self, f: io.BufferedWriter) -> None:
        self._f, self._hash = f, hashlib.sha256()

    def write(self, data: Any) -> int:
        self._hash.update(data)
        return self._f.write(data)

    def flush(self) -> None:
        self._f.flush()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def file_mode() -> int:
    with _UMASK_LOCK:  # reading the umask means setting it: no other thread may create a file meanwhile
        umask = os.umask(0o077)
        os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: Path | str, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data), sequential=True)


def write_text(path: Path | str, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """CSV text of the given columns (others dropped), floats as repr so they read back exactly."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return out.getvalue()


def write_json(path: Path | str, obj: Any) -> None:
    """Pretty, sorted JSON; a NaN or infinity anywhere is refused (JSON has no such numbers)."""
    try:
        text = json.dumps(obj, indent=2, sort_keys=True, allow_nan=False)
    except ValueError:
        where = _non_finite(obj) or "a value"
        raise JobFailed(f"refusing to write {path}: {where} is not a finite number (NaN or infinity); "
                        "the run that produced it diverged or is broken") from None
    write_text(path, text + "\n")


def _non_finite(obj: Any, where: str = "") -> str | None:
    """The key path of the first NaN/infinity in `obj` (e.g. 'final_test_loss'), or None."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return where or "the value"
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, (list, tuple)) else ()
    for key, value in items:
        found = _non_finite(value, f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None


def read_json(path: Path | str) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (ValueError, UnicodeDecodeError) as e:
        raise UsageError(f"damaged file {path}: not valid JSON ({str(e).splitlines()[0]})") from None


def save_torch(path: Path | str, obj: Any) -> None:
    import torch

    atomic_write(path, lambda f: torch.save(obj, f), sequential=True)


def load_torch(path: Path | str, map_location: Any = "cpu") -> Any:
    """`torch.load` of a file verified against its job's done.json or journal."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"missing file {path}")
    data = path.read_bytes()  # read once: the bytes checked are the bytes loaded
    digest = integrity.digest_bytes(data)
    integrity.verify_file(path, digest)
    journal.check(path, digest)
    return _torch_load(io.BytesIO(data), path, map_location)


def _torch_load(source: Any, path: Path, map_location: Any) -> Any:
    import torch

    try:
        return torch.load(source, map_location=map_location, weights_only=True)
    except Exception:  # pickle, zip, policy errors alike; torch's advice (weights_only=False) would be wrong here
        raise UsageError(f"corrupt {layout.kind_of(path.name)} {path}: the file is damaged or is not a sparselab "
                         f"torch file; {integrity.repair_hint(path.parent)}") from None


def save_checkpoint(path: Path | str, obj: Any) -> None:
    """A checkpoint: a header with the sha256 of the payload, then the `torch.save` bytes."""
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    payload = buffer.getbuffer()
    header = CHECKPOINT_MAGIC + integrity.digest_bytes(payload).encode("ascii") + b"\n"
    atomic_write(path, lambda f: (f.write(header), f.write(payload)), sequential=True)


def load_checkpoint(path: Path | str, map_location: Any = "cpu") -> Any:
    """A `save_checkpoint` file whose payload matches its header's digest (a plain torch file: unverified)."""
    path = Path(path)
    journal.check(path)
    data = path.read_bytes()
    if not data.startswith(CHECKPOINT_MAGIC):
        return _torch_load(io.BytesIO(data), path, map_location)
    start = len(CHECKPOINT_MAGIC)
    claimed = data[start:start + _DIGEST_LENGTH].decode("ascii", errors="replace")
    payload = memoryview(data)[start + _DIGEST_LENGTH + 1:]
    if integrity.digest_bytes(payload) != claimed:
        raise integrity.DamagedFile(path, "its payload does not match the sha256 in its header")
    return _torch_load(io.BytesIO(payload), path, map_location)


def try_lock(directory: Path | str, timeout: float = -1) -> filelock.FileLock | None:
    """The job directory's flock (released by the kernel if its holder dies), or None after `timeout` s (-1: wait)."""
    lock = filelock.FileLock(str(Path(directory) / LOCK_NAME))
    try:
        lock.acquire(timeout=timeout)
    except filelock.Timeout:
        return None
    return lock


@contextlib.contextmanager
def job_lock(directory: Path | str, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the job directory's lock for the block; `on_wait` is called once if another process holds it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lock = try_lock(directory, timeout=0)
    if lock is None:
        if on_wait is not None:
            on_wait()
        lock = try_lock(directory)
        assert lock is not None
    try:
        yield
    finally:
        lock.release()
