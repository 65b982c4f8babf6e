"""`journal.json` vouches for an unfinished job's files (done.json does once it is finished): every atomic write
into a job directory records its sha256 after the rename. A resumed job `purge`s every file not exactly as
recorded (flipped bits, a foreign file, a write a kill hid, a mask without its report) so it is recomputed."""
from __future__ import annotations

import json
import time
from pathlib import Path

from sparselab.core import integrity, layout

JOURNAL_FILE = layout.JOURNAL
_NOT_JOURNALED = (layout.DONE, JOURNAL_FILE)


def read(directory: Path | str) -> dict[str, str] | None:
    """name -> sha256 recorded for the job in `directory`; None without a readable journal."""
    path = Path(directory) / JOURNAL_FILE
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
        return None
    return entries


def _write(directory: Path, entries: dict[str, str]) -> None:
    from sparselab.core import io as fio  # io journals every write: imported here, not at the top

    text = json.dumps(dict(sorted(entries.items())), indent=1).encode("utf-8")
    fio.atomic_write(directory / JOURNAL_FILE, lambda f: f.write(text), sequential=True)


def is_journaled(path: Path) -> bool:
    """A file of an unfinished job (a directory holding hparams.json, which a job writes first)."""
    if path.name in _NOT_JOURNALED or integrity.is_temporary(path.name) or (path.parent / layout.DONE).exists():
        return False
    return path.name == layout.HPARAMS or (path.parent / layout.HPARAMS).exists()


def record(path: Path | str, digest: str) -> None:
    path = Path(path)
    if not is_journaled(path):
        return
    entries = read(path.parent) or {}
    entries[path.name] = digest
    _write(path.parent, entries)


def check(path: Path | str, actual: str | None = None) -> None:
    """Refuse a file of an unfinished job that changed since it was written; `actual`: of the bytes the caller read."""
    path = Path(path)
    digest = (read(path.parent) or {}).get(path.name) if is_journaled(path) else None
    if digest is not None and (actual or integrity.digest_file(path)) != digest:
        raise integrity.DamagedFile(path, "its sha256 does not match the one recorded in the job's journal")


def check_settled(path: Path | str, wait: float = 0.2) -> None:
    """`check` beside a running writer (which records a digest just after the rename): retried once after `wait`."""
    try:
        check(path)
    except integrity.DamagedFile:
        time.sleep(wait)
        check(path)


def discard(directory: Path | str) -> None:
    (Path(directory) / JOURNAL_FILE).unlink(missing_ok=True)


def unverified(directory: Path | str) -> dict[str, str]:
    """name -> why, for every file of an unfinished job that its journal does not vouch for."""
    directory = Path(directory)
    if not directory.is_dir() or (directory / layout.DONE).exists():
        return {}
    entries = read(directory) or {}
    bad: dict[str, str] = {}
    for path in integrity.job_files(directory, exclude=(JOURNAL_FILE,)):
        if path.name not in entries:
            bad[path.name] = "not recorded in the job's journal when it was written"
        elif integrity.digest_file(path) != entries[path.name]:
            bad[path.name] = "its sha256 does not match the one recorded when it was written"
    present = {p.name for p in integrity.job_files(directory)} - set(bad)
    for first, partner in layout.PARTNERS.items():
        if first in present and partner not in present:
            bad[first] = f"written without its {partner}"
    return bad


def purge(directory: Path | str, say: bool = True) -> list[str]:
    """With the job's lock held: delete the files of an unfinished job that do not verify."""
    directory = Path(directory)
    bad = unverified(directory)
    for name, why in sorted(bad.items()):
        if say:
            print(f"{directory / name}: {why}; recomputing it", flush=True)
        (directory / name).unlink(missing_ok=True)
    if bad:
        entries = read(directory) or {}
        _write(directory, {k: v for k, v in entries.items() if k not in bad})
    return sorted(bad)
