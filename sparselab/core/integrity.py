"""Checksums: `done.json`'s `integrity` record holds the sha256 of every job file and of itself; every file read from
a finished job is checked against it, so a damaged file is refused by name instead of becoming a published number.
A `done.json` written before checksums existed is read as unverified."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from sparselab.core import identity as job_identity
from sparselab.core import layout
from sparselab.core.errors import JobFailed, UsageError

DONE_FILE = layout.DONE
INTEGRITY_KEY = "integrity"
PROVENANCE_KEY = "provenance"  # the section hparams.json gains with checksums (train/provenance.py)
ALGORITHM = "sha256"
LOCK_NAME = ".lock"
TMP_SUFFIX = ".tmp"
_CHUNK = 1 << 22

_digests: dict[str, tuple[int, int, str]] = {}  # path -> (size, mtime_ns, digest) hashed by this process
_written: dict[str, str] = {}  # path -> digest of what this process wrote (or verified on resume)
_computing: list[dict[str, str]] = []  # per job being computed (innermost last): parent path -> digest


class DamagedFile(UsageError):
    def __init__(self, path: Path | str, reason: str, job: Path | str | None = None) -> None:
        self.path, self.reason = Path(path), reason
        self.job = Path(job) if job is not None else self.path.parent
        super().__init__(f"damaged file {self.path}: {reason}; {repair_hint(self.job)}")


def repair_hint(job: Path | str) -> str:
    return (f"move the damaged job aside with: python main.py verify --root {job} --repair, "
            "then rerun the same command to retrain it")


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_file(path: Path | str) -> str:
    """sha256 of the file, hashed once per process while size and mtime are unchanged."""
    path = Path(path)
    st = path.stat()
    key = str(path.absolute())
    cached = _digests.get(key)
    if cached is not None and cached[:2] == (st.st_size, st.st_mtime_ns):
        return cached[2]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    digest = h.hexdigest()
    _digests[key] = (st.st_size, st.st_mtime_ns, digest)
    return digest


def remember(path: Path | str, digest: str | None = None) -> str:
    """This process wrote (or verified) `path` with this content: a later change is caught by `manifest`."""
    path = Path(path)
    if digest is None:
        _digests.pop(str(path.absolute()), None)  # a rewrite within one mtime tick must be hashed afresh
        digest = digest_file(path)
    st = path.stat()
    _digests[str(path.absolute())] = (st.st_size, st.st_mtime_ns, digest)
    _written[str(path.absolute())] = digest
    return digest


def is_temporary(name: str) -> bool:
    """A temporary file of `core.io.atomic_write`: `.<name>.XXXXXXXX.tmp`."""
    return name.startswith(".") and name.endswith(TMP_SUFFIX)


def job_files(directory: Path | str, exclude: Iterable[str] = ()) -> list[Path]:
    """The files a manifest covers (no marker, lock, journal or temporaries)."""
    skip = {DONE_FILE, LOCK_NAME, layout.JOURNAL, *exclude}
    return sorted(p for p in Path(directory).iterdir()
                  if p.is_file() and p.name not in skip and not is_temporary(p.name))


def manifest(directory: Path | str, exclude: Iterable[str] = ()) -> dict[str, str]:
    """name -> sha256 of the job's files, read from disk; a file this process wrote must still match."""
    out: dict[str, str] = {}
    for path in job_files(directory, exclude):
        _digests.pop(str(path.absolute()), None)  # read the bytes again: this is the record of the job
        digest = digest_file(path)
        wrote = _written.get(str(path.absolute()))
        if wrote is not None and wrote != digest:
            raise JobFailed(f"{path} changed on disk after this job wrote it (a disk or file-system fault?); "
                            f"rerun the same command to retrain it")
        out[path.name] = digest
    return out


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, allow_nan=False, separators=(",", ":")).encode("utf-8")


def seal(result: dict[str, Any], files: dict[str, str], identity: dict[str, Any] | None = None,
         parents: dict[str, str] | None = None) -> dict[str, Any]:
    """done.json: the result, sealed with the files' digests, the job's `identity` (core.identity) with its
    hparams.json digest, and the `parents` it was computed from (path relative to the job -> sha256)."""
    body = {k: v for k, v in result.items() if k != INTEGRITY_KEY}
    body[INTEGRITY_KEY] = {"algorithm": ALGORITHM, "files": dict(sorted(files.items()))}
    if identity is not None:
        body[INTEGRITY_KEY]["identity"] = {**identity, "hparams_sha256": files.get(layout.HPARAMS),
                                           "parents": dict(sorted((parents or {}).items()))}
    body[INTEGRITY_KEY]["digest"] = digest_bytes(_canonical(body))
    return body


def open_done(path: Path | str) -> tuple[dict[str, Any], dict[str, str] | None]:
    """(the result in done.json, its file digests or None when it predates checksums); DamagedFile otherwise."""
    path = Path(path)
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise DamagedFile(path, f"not valid JSON ({str(e).splitlines()[0]})") from None
    if not isinstance(record, dict):
        raise DamagedFile(path, "not a JSON object")
    integrity = record.pop(INTEGRITY_KEY, None)
    if integrity is None:
        if not predates_checksums(path.parent):
            raise DamagedFile(path, "its integrity record is missing (only a job written before checksums "
                                    "existed may lack it, and this one was not)")
        return record, None
    try:
        claimed = integrity["digest"]
        files = dict(integrity["files"])
        body = {**record, INTEGRITY_KEY: {k: v for k, v in integrity.items() if k != "digest"}}
        actual = digest_bytes(_canonical(body))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise DamagedFile(path, "its integrity record is malformed") from None
    if actual != claimed:
        raise DamagedFile(path, "its content does not match its recorded sha256")
    if "identity" in integrity:  # records sealed before identities existed lack it
        wrong = job_identity.mismatch(integrity["identity"], path.parent)
        if wrong is None and integrity["identity"].get("hparams_sha256") != files.get(layout.HPARAMS):
            wrong = "its identity's hparams digest is not the recorded one of hparams.json"
        if wrong is not None:
            raise DamagedFile(path, wrong)
        _check_parents(integrity["identity"].get("parents", {}), path.parent)
    return record, files


@contextlib.contextmanager
def computing() -> Iterator[dict[str, str]]:
    """While a job computes: collect the files of finished jobs it reads (its parents, `note_parent`)."""
    scope: dict[str, str] = {}
    _computing.append(scope)
    try:
        yield scope
    finally:  # by identity: two scopes with equal contents are still two jobs
        del _computing[next(i for i, s in enumerate(_computing) if s is scope)]


def note_parent(path: Path | str, digest: str | None = None) -> None:
    """`path`, a file of a finished job, is an input of the jobs being computed (`digest`: held in memory)."""
    if not _computing:
        return
    path = Path(path)
    if digest is None:
        files = recorded_files(path.parent)
        if files is None or path.name not in files:
            return
        digest = files[path.name]
    for scope in _computing:
        scope[str(path.absolute())] = digest


def parents_of(directory: Path | str, scope: dict[str, str]) -> dict[str, str]:
    """The parents in `scope` outside `directory`, by their path relative to it (a root moves whole)."""
    base = Path(directory).absolute()
    return {os.path.relpath(p, base): d for p, d in scope.items() if base not in Path(p).parents}


def _check_parents(parents: Any, directory: Path) -> None:
    """A parent replaced or gone after the job was computed from it: damaged, by the parent's name."""
    if not isinstance(parents, dict) or not all(isinstance(v, str) for v in parents.values()):
        raise DamagedFile(directory / DONE_FILE, "its identity's parent digests are malformed")
    for relative, digest in parents.items():
        parent = Path(os.path.normpath(directory / relative))
        if not parent.is_file():
            raise DamagedFile(parent, f"missing, but {directory} was computed from it", job=directory)
        if digest_file(parent) != digest:
            raise DamagedFile(parent, f"not the file {directory} was computed from (replaced after that job "
                                      "finished)", job=directory)


def predates_checksums(directory: Path) -> bool:
    """A job written before checksums: its hparams.json has no provenance section (written by every sealing version)."""
    try:
        hparams = json.loads((directory / layout.HPARAMS).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(hparams, dict) and bool(hparams) and PROVENANCE_KEY not in hparams


def recorded_files(directory: Path | str) -> dict[str, str] | None:
    """The digests in the job's done.json (None: none, or one that predates checksums)."""
    done = Path(directory) / DONE_FILE
    return open_done(done)[1] if done.exists() else None


def verify_file(path: Path | str, digest: str | None = None, note: bool = True) -> None:
    """Check a file of a finished job against its done.json (unfinished jobs pass); `digest`: of the bytes the
    caller read; `note`: the file is an input of the job being computed."""
    path = Path(path)
    files = recorded_files(path.parent)
    if files is None or path.name not in files:
        return
    _check_recorded(path, files[path.name], "done.json", digest)
    if note:
        note_parent(path, files[path.name])


def check_job(directory: Path | str, note: bool = True) -> bool:
    """Verify done.json and its files: True, or False if it predates checksums. `note=False`: a parent job checked
    as a whole, whose files are inputs only where they are read."""
    directory = Path(directory)
    files = recorded_files(directory)
    if files is None:
        return False
    for name in files:
        verify_file(directory / name, note=note)
    return True


def check_against(directory: Path | str, files: dict[str, str]) -> None:
    """Check the files of an unfinished job against digests a checkpoint recorded, and remember them."""
    for name, digest in files.items():
        _check_recorded(Path(directory) / name, digest, "the job's checkpoint")
        remember(Path(directory) / name, digest)


def _check_recorded(path: Path, recorded: str, where: str, actual: str | None = None) -> None:
    if not path.exists():
        raise DamagedFile(path, f"missing, but recorded in {where}")
    if (actual or digest_file(path)) != recorded:
        raise DamagedFile(path, f"its {ALGORITHM} does not match the one recorded in {where}")


def remove_temporaries(directory: Path | str) -> list[str]:
    """Delete the temporary files a killed writer left in `directory` (call with the job's lock held)."""
    removed: list[str] = []
    if not Path(directory).is_dir():
        return removed
    for entry in os.scandir(directory):
        if entry.is_file(follow_symlinks=False) and is_temporary(entry.name):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(entry.name)
    return removed
