"""One job directory read back as a record (reports.records), every file through the store (`store.job`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sparselab.analysis.evaluation.columns import evaluation_columns
from sparselab.core import integrity
from sparselab.core.errors import UsageError
from sparselab.analysis.reports.records import DAMAGED, DONE, IN_PROGRESS, METRICS, MISSING, UNVERIFIED, JobResult
from sparselab.store.job import FinishedJob, hparams_of, metrics_of
from sparselab.train.job import job_state
from sparselab.train.provenance import PROVENANCE_KEY

# metrics.csv column -> the done.json key it stands for while a job is still running
_LIVE_COLUMNS = {c: c if c in ("density", "wall_seconds") else f"final_{c}" for c in (
    "test_accuracy", "test_loss", "train_accuracy", "train_loss", "train_clean_accuracy", "train_noisy_accuracy",
    "train_noisy_true_accuracy", "density", "wall_seconds", "test_top_prediction_fraction")}


def read_job(directory: Path, dense: bool = False) -> JobResult:
    """The job's final values (done.json), or its latest logged values when it is in progress; DAMAGED
    (no values) when a file fails its checksum. `dense`: a plain training run (density 1)."""
    directory = Path(directory)
    state = job_state(directory)
    job = JobResult(directory, state)
    if state == DONE:
        try:
            finished = FinishedJob(directory, check_files=True)
        except integrity.DamagedFile as e:
            job.status, job.problem = DAMAGED, f"{e.path}: {e.reason}"
            return job
        job.verified = finished.verified
        if not job.verified:  # written before checksums: shown, marked, not averaged (records.UNVERIFIED)
            job.status = UNVERIFIED
        done = finished.result
        job.values = {k: done.get(k) for k in METRICS if done.get(k) is not None}
        job.values.update(evaluation_columns(directory))  # `evaluate` results beside the job, if any
        _old_empty_tensors(finished, job.values)
    elif state == IN_PROGRESS:
        try:
            job.values, job.last_iteration = live_values(directory)
        except integrity.DamagedFile as e:  # its metrics.csv changed since the job wrote it
            job.status, job.problem = DAMAGED, f"{e.path}: {e.reason}"
    if dense and state != MISSING:
        job.values.setdefault("density", 1.0)
    return job


def _old_empty_tensors(job: FinishedJob, values: dict[str, Any]) -> None:
    """done.json written before `empty_prunable_tensors` existed: read them from the job's mask report
    (only for a sparse final network: a re-dense job's mask report describes its start)."""
    density = values.get("density")
    if "empty_prunable_tensors" in values or density is None or density >= 1:
        return
    try:
        report = job.sparsity_report()
        if report is not None:
            tensors = report.get("tensors", {})
            values["empty_prunable_tensors"] = [name for name, t in tensors.items() if t.get("kept") == 0]
    except (UsageError, AttributeError):
        pass


def _rows(directory: Path) -> list[dict[str, Any]]:
    """metrics.csv's rows ([] without one, or while it is rewritten or truncated); DamagedFile when it
    fails its digest or its journal (a running job's file changed since it was written)."""
    try:
        return metrics_of(directory, settled=True)
    except integrity.DamagedFile:
        raise
    except (OSError, ValueError, UsageError):
        return []


def live_values(directory: Path) -> tuple[dict[str, Any], int | None]:
    """Values of a running job from its metrics.csv: the last row, and the best test accuracy so far."""
    rows = _rows(directory)
    if not rows:
        return {}, None
    last = rows[-1]
    values = {key: last[col] for col, key in _LIVE_COLUMNS.items() if last.get(col) is not None}
    scored = [r for r in rows if r.get("test_accuracy") is not None]
    if scored:
        best = max(scored, key=lambda r: r["test_accuracy"])
        values["best_test_accuracy"] = best["test_accuracy"]
        values["best_iteration"] = best.get("iteration")
    return values, last.get("iteration")


def read_curve(directory: Path) -> list[dict[str, Any]]:
    """The rows of a job's metrics.csv ([] when there is none; DamagedFile when it fails its digest or
    its journal); an OpenLTH job's logger as the same rows (one per iteration)."""
    from sparselab.analysis.reports import openlth

    if openlth.is_openlth_job(directory):
        return openlth.metric_rows(openlth.read_logger(Path(directory) / openlth.LOGGER))
    return _rows(directory)


def read_hparams(directory: Path) -> dict[str, Any] | None:
    try:
        record = hparams_of(directory)
    except UsageError:
        return None
    if not isinstance(record, dict):
        return None
    record.pop(PROVENANCE_KEY, None)  # versions and data shape: not hyperparameters to compare
    return record
