"""A finished job directory, opened once and read verified: the one reader of sparselab's job files.
Opening checks done.json (`integrity.open_done`), `check_files=True` every file it records; tensors are read
through `io.load_torch`, checked against the record. A done.json older than checksums: `verified = False`."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from sparselab.core import integrity, journal, layout
from sparselab.core import io as fio
from sparselab.core.errors import UsageError
from sparselab.train.job import is_done  # done.json is the job protocol's marker (train/job.py)


def hparams_of(directory: Path | str) -> Any:
    """hparams.json as parsed (None: there is none; a file that does not parse is a UsageError)."""
    path = Path(directory) / layout.HPARAMS
    return fio.read_json(path) if path.exists() else None


def metrics_of(directory: Path | str, settled: bool = False) -> list[dict[str, Any]]:
    """The rows of a job's metrics.csv ([] without one), verified once the job is finished (a running
    job's are its latest rows); `settled`: refused first when it changed since it was written (journal)."""
    from sparselab.train.metrics import read_metrics

    path = Path(directory) / layout.METRICS
    if not path.exists():
        return []
    if settled:
        journal.check_settled(path)
    integrity.verify_file(path)
    return read_metrics(path)


def has_any(directory: Path | str, names: tuple[str, ...] = (layout.HPARAMS, layout.DONE)) -> bool:
    """Whether sparselab wrote any of these files in `directory` (default: a job's records)."""
    return any((Path(directory) / name).exists() for name in names)


def note_used(directory: Path | str, names: list[str]) -> None:
    """Files of a finished job used from memory (kept since they were made): parents of the job being
    computed all the same (`foundations.integrity.note_parent`; a no-op outside one)."""
    for name in names:
        integrity.note_parent(Path(directory) / name)


class FinishedJob:
    """One finished job; `missing`: the error when it has no done.json (default: rerun its command)."""

    def __init__(self, directory: Path | str, *, check_files: bool = False, missing: str | None = None) -> None:
        self.directory = Path(directory)
        if not is_done(self.directory):
            raise UsageError(missing or f"{self.directory} is not a finished job (no {layout.DONE}); "
                                        "rerun its command to finish it")
        self.result, self.files = integrity.open_done(self.directory / layout.DONE)
        if check_files and self.files is not None:
            integrity.check_job(self.directory)

    @property
    def verified(self) -> bool:
        """False: done.json predates checksums; nothing vouches for this job's numbers."""
        return self.files is not None

    def path(self, name: str) -> Path:
        return self.directory / name

    def has(self, name: str) -> bool:
        return self.path(name).exists()

    @cached_property
    def hparams(self) -> dict[str, Any]:
        """hparams.json, `provenance` included ({} when it is not a JSON object), checked against done.json."""
        record = hparams_of(self.directory)
        if record is None:
            raise UsageError(f"{self.directory} has no {layout.HPARAMS}: not a job directory")
        recorded = (self.files or {}).get(layout.HPARAMS)
        if recorded is not None and integrity.digest_file(self.path(layout.HPARAMS)) != recorded:
            raise integrity.DamagedFile(self.path(layout.HPARAMS), "its sha256 does not match the one recorded "
                                        "in done.json")  # checked, not noted as a parent: it is this job's record
        return record if isinstance(record, dict) else {}

    def metrics(self) -> list[dict[str, Any]]:
        """The rows of metrics.csv, verified ([] when the job kept none)."""
        return metrics_of(self.directory)

    def tensors(self, name: str = layout.WEIGHTS_FINAL) -> Any:
        """A torch file of the job (`weights_final.pt` unless named), verified."""
        return fio.load_torch(self.path(name))

    def start_mask(self) -> Any:
        """`mask.pt`: the mask the job started with (None: a dense job has none)."""
        from sparselab.sparsity.mask import Mask

        return Mask.load(self.directory) if Mask.exists(self.directory) else None

    def final_mask(self) -> Any:
        """`mask_final.pt` where dynamic sparse training moved the mask, else the start mask (None: dense)."""
        from sparselab.sparsity.dst.build import load_final_mask

        final = load_final_mask(self.directory)
        return final if final is not None else self.start_mask()

    def sparsity_report(self, final: bool = False) -> dict[str, Any] | None:
        """The per-tensor densities of the start mask (`final`: of the mask it ended with); None: none."""
        name = layout.FINAL_SPARSITY_REPORT if final else layout.SPARSITY_REPORT
        if not self.has(name):
            return None
        integrity.verify_file(self.path(name))
        report = fio.read_json(self.path(name))
        return report if isinstance(report, dict) else None

