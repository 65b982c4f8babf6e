"""The journal of a job in progress: the sha256 of every file it wrote, recorded as each was written.

`done.json` vouches for a finished job's files; before it exists, `journal.json` does. Every atomic
write into a job directory (one holding `hparams.json`, which a job writes first) records the new
file's digest here, after the file's rename. When the job is taken up again, `purge` (run under the
job's lock) deletes every file that is not exactly as the journal recorded it (flipped bits, a
foreign file, a file whose write the journal never saw because a kill fell in between, a mask
without its sparsity report) so that the rerun recomputes it instead of reusing and then sealing
it. Reads of an unfinished job's files are checked against the journal too (`expected`).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from sparselab.core import integrity, layout

JOURNAL_FILE = layout.JOURNAL
_NOT_JOURNALED = (layout.DONE, JOURNAL_FILE)


def read(directory: Path | str) -> dict[str, str] | None:
    """name -> sha256 recorded for the job in `directory`; None without a (readable) journal."""
    path = Path(directory) / JOURNAL_FILE
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
        return None
    return entries


def _write(directory: Path, entries: dict[str, str]) -> None:
    """The journal, replaced atomically by the one atomic writer (which journals nothing for it)."""
    from sparselab.core import io as fio  # io journals every write: imported here, not at the top

    text = json.dumps(dict(sorted(entries.items())), indent=1).encode("utf-8")
    fio.atomic_write(directory / JOURNAL_FILE, lambda f: f.write(text), sequential=True)


def is_journaled(path: Path) -> bool:
    """Whether a write of `path` belongs in a journal: a file of a job that is not finished."""
    if path.name in _NOT_JOURNALED or integrity.is_temporary(path.name):
        return False
    directory = path.parent
    if (directory / layout.DONE).exists():
        return False
    return path.name == layout.HPARAMS or (directory / layout.HPARAMS).exists()


def record(path: Path | str, digest: str) -> None:
    """Note that `path` now holds the bytes with this digest (called after each atomic write)."""
    path = Path(path)
    if not is_journaled(path):
        return
    entries = read(path.parent) or {}
    entries[path.name] = digest
    _write(path.parent, entries)


def expected(path: Path | str) -> str | None:
    """The digest the journal recorded for `path` (None: not journaled)."""
    entries = read(Path(path).parent)
    return None if entries is None else entries.get(Path(path).name)


def check(path: Path | str, actual: str | None = None) -> None:
    """Refuse a file of an unfinished job that changed since it was written (its journal says so);
    `actual`: the digest of the bytes the caller read (the file is then not read again)."""
    path = Path(path)
    digest = expected(path) if is_journaled(path) else None
    if digest is not None and (actual or integrity.digest_file(path)) != digest:
        raise integrity.DamagedFile(path, "its sha256 does not match the one recorded in the job's journal")


def check_settled(path: Path | str, wait: float = 0.2) -> None:
    """`check` for a reader beside a running writer, which records a file's digest just after renaming
    the file into place: a mismatch is looked at once more after `wait` seconds before it is refused."""
    try:
        check(path)
    except integrity.DamagedFile:
        time.sleep(wait)
        check(path)


def discard(directory: Path | str) -> None:
    """Drop the journal once done.json vouches for the job."""
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
