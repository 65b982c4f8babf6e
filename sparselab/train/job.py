"""A job directory: its work runs once, under its lock; `done.json` (metrics + sha256 of every file) is written last.

Under data parallelism rank 0 alone checks the marker, locks and writes, and broadcasts its decision and result.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import filelock

from sparselab.core import layout
from sparselab.core import identity, integrity
from sparselab.core import io as fio
from sparselab.core import journal
from sparselab.core.desc import full_description, job_name
from sparselab.core.integrity import DONE_FILE
from sparselab.platforms import distributed
from sparselab.train.loop import CHECKPOINT_FILE
from sparselab.train.provenance import with_provenance

HPARAMS_FILE = layout.HPARAMS
LOCK_POLL_SECONDS = 30.0  # ranks waiting for rank 0's lock hear from it this often (keeps collectives alive)


@dataclass(frozen=True)
class Described:
    """A command's bundles as its folder name (`<command>_<hash>`) and `hparams.json` record (every runner)."""

    command: str
    bundles: Mapping[str, Any]

    @property
    def name(self) -> str:
        return job_name(self.command, self.bundles)

    def folder(self, root: Path) -> Path:
        return layout.experiment_dir(root, self.name)

    def replicate(self, root: Path, replicate: int) -> Path:
        return layout.replicate_dir(root, self.name, replicate)

    def record(self, **more: Any) -> dict[str, Any]:
        """Every field of every bundle, then `more` (an EDST phase, a pf member)."""
        return {**full_description(self.bundles), **more}


def is_done(directory: Path) -> bool:
    return (Path(directory) / DONE_FILE).exists()


def read_done(directory: Path) -> dict[str, Any]:
    """done.json's result (checked against its own digest)."""
    return integrity.open_done(Path(directory) / DONE_FILE)[0]


def reuse_done(directory: Path) -> dict[str, Any]:
    """A finished job's result, after checking every file it recorded; drops a leftover checkpoint."""
    directory = Path(directory)
    result = read_done(directory)
    integrity.check_job(directory)
    (directory / CHECKPOINT_FILE).unlink(missing_ok=True)  # a kill fell between done.json and its removal
    journal.discard(directory)
    _tidy(directory)
    return result


def _tidy(directory: Path) -> None:
    """A killed writer's temporaries go if nobody holds the lock (an `evaluate` writing beside it would)."""
    if not any(integrity.is_temporary(p.name) for p in directory.iterdir()):
        return
    lock = fio.try_lock(directory, timeout=0)
    if lock is not None:
        try:
            integrity.remove_temporaries(directory)
        finally:
            lock.release()


def job_state(directory: Path) -> str:
    directory = Path(directory)
    if is_done(directory):
        return "done"
    if directory.exists() and any(p.name != fio.LOCK_NAME for p in directory.iterdir()):
        return "in progress"
    return "missing"


@dataclass
class Claim:
    """`todo`: the work runs here (then `finish(result)`); after the block `result` is done.json's, on every rank."""

    todo: bool
    result: Any = None

    def finish(self, result: dict[str, Any]) -> None:
        self.result = result


@contextmanager
def claim(directory: Path, record: dict[str, Any], label: str, verbose: bool = True,
          after_done: Callable[[], None] | None = None, platform: Any = None) -> Iterator[Claim]:
    """The job under its lock; a done job is reused. The work runs inside `integrity.computing`, so the
    files it reads become the job's parents."""
    directory = Path(directory)
    platform = platform if platform is not None else distributed.active()
    collective = platform is not None and platform.world_size > 1
    primary = platform.is_primary if collective else True
    lock: filelock.FileLock | None = None
    try:
        state, lock = (_collective_state(directory, record, label, verbose, platform) if collective
                       else _first_look(directory, record, label, verbose))
        job = Claim(todo=state == "run")
        if state == "done":
            job.result = reuse_done(directory) if primary else None
            yield job
        else:
            if primary and not (directory / HPARAMS_FILE).exists():
                fio.write_json(directory / HPARAMS_FILE, with_provenance(record))  # once: a resume keeps the old file
            with integrity.computing() as inputs:
                yield job
            assert job.result is not None, f"the work of {directory} did not finish it"
            if primary:
                _seal(directory, job.result, inputs, after_done)
    finally:
        if lock is not None:
            lock.release()
    if collective:
        platform.barrier()  # nobody reads this job's files before rank 0 has written them all
        job.result = platform.broadcast_object(job.result if primary else None)  # rank 0's numbers are the job's


def _seal(directory: Path, result: dict[str, Any], inputs: Any, after_done: Callable[[], None] | None) -> None:
    files = integrity.manifest(directory, exclude=(CHECKPOINT_FILE,))
    parents = integrity.parents_of(directory, inputs)
    fio.write_json(directory / DONE_FILE, integrity.seal(result, files, identity.of_directory(directory), parents))
    journal.discard(directory)
    if after_done is not None:
        after_done()


def run_once(directory: Path, record: dict[str, Any], work: Callable[[], dict[str, Any]], label: str,
             verbose: bool = True, after_done: Callable[[], None] | None = None, platform: Any = None) -> dict[str, Any]:
    with claim(directory, record, label, verbose, after_done, platform) as job:
        if job.todo:
            job.finish(work())
    return job.result


def _first_look(directory: Path, record: dict[str, Any], label: str, verbose: bool,
                wait: bool = True) -> tuple[str, filelock.FileLock | None]:
    """('done' | 'run' | 'waiting', the lock if held); `wait` False: 'waiting' while another process holds it."""
    if is_done(directory):
        if verbose:
            print(f"{label}: already done ({directory})", flush=True)
        from sparselab.train.loggers import finished_note

        note = finished_note(directory, record)
        if note:
            print(note, flush=True)
        return "done", None
    directory.mkdir(parents=True, exist_ok=True)
    lock = fio.try_lock(directory, timeout=0)
    if lock is None:
        print(f"{label}: waiting for another process that holds {directory / fio.LOCK_NAME}", flush=True)
        if not wait:
            return "waiting", None
        lock = fio.try_lock(directory)
    return _state_under_lock(directory, label, verbose), lock


def _collective_state(directory: Path, record: dict[str, Any], label: str, verbose: bool,
                      platform: Any) -> tuple[str, filelock.FileLock | None]:
    """Rank 0's decision, broadcast every LOCK_POLL_SECONDS while it waits, so no broadcast times out."""
    primary = platform.is_primary
    state, lock = _first_look(directory, record, label, verbose, wait=False) if primary else (None, None)
    while True:
        job_dir, state = platform.broadcast_object((str(directory), state) if primary else None)
        _check_same_job(job_dir, directory, platform.rank)
        if state != "waiting":
            return state, lock
        if primary:
            lock = fio.try_lock(directory, timeout=LOCK_POLL_SECONDS)
            if lock is not None:
                state = _state_under_lock(directory, label, verbose)


def _state_under_lock(directory: Path, label: str, verbose: bool) -> str:
    integrity.remove_temporaries(directory)
    journal.purge(directory)  # files of an unfinished job its journal does not vouch for are recomputed
    if is_done(directory):
        if verbose:
            print(f"{label}: already done by another process ({directory})", flush=True)
        return "done"
    return "run"


def _check_same_job(primary_directory: str, directory: Path, rank: int) -> None:
    if primary_directory != str(directory):
        raise RuntimeError(f"rank {rank} reached job {directory} while rank 0 reached {primary_directory}: "
                           "the ranks took different paths (a job finished by another process between "
                           "their checks); rerun the same command to continue")
