"""A job directory: run its work once, under its lock, and mark it done last.

A job is finished when `done.json` exists (written last, with the final metrics). A job directory
with checkpoints but no marker is resumed by the work function itself. A second process that wants
the same job waits on the lock and then finds the marker.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from foundations import io as fio

DONE_FILE = "done.json"
HPARAMS_FILE = "hparams.json"


def is_done(directory: Path) -> bool:
    return (Path(directory) / DONE_FILE).exists()


def read_done(directory: Path) -> dict[str, Any]:
    return fio.read_json(Path(directory) / DONE_FILE)


def job_state(directory: Path) -> str:
    """'done', 'in progress' (something on disk but no marker) or 'missing'."""
    directory = Path(directory)
    if is_done(directory):
        return "done"
    if directory.exists() and any(p.name != fio.LOCK_NAME for p in directory.iterdir()):
        return "in progress"
    return "missing"


def run_once(directory: Path, record: dict[str, Any], work: Callable[[], dict[str, Any]],
             label: str, verbose: bool = True,
             after_done: Callable[[], None] | None = None) -> dict[str, Any]:
    """Run `work` unless the job is done; return the contents of `done.json`."""
    directory = Path(directory)
    if is_done(directory):
        if verbose:
            print(f"{label}: already done ({directory})", flush=True)
        return read_done(directory)

    def waiting() -> None:
        print(f"{label}: waiting for another process that holds {directory / fio.LOCK_NAME}", flush=True)

    with fio.job_lock(directory, on_wait=waiting):
        if is_done(directory):
            if verbose:
                print(f"{label}: already done by another process ({directory})", flush=True)
            return read_done(directory)
        hparams_path = directory / HPARAMS_FILE
        if not hparams_path.exists():
            fio.write_json(hparams_path, record)
        result = work()
        fio.write_json(directory / DONE_FILE, result)
        if after_done is not None:
            after_done()
        return result
