"""The data of the CSV and JSON reports: one row per (experiment, replicate, level, series) with the
fractions exactly as the jobs wrote them, plus one 'mean' row per (experiment, level, series) when an
experiment has several replicates (its `*_std` columns hold the sample standard deviations).

`trunk_density` is the density of the trunk level a row belongs to (the x position of a branch, whose
own `density` may differ: 1.0 after re-dense training); `collapsed` is True for a finished job whose
network collapsed (`collapse_reason` says why; training.metrics.collapse_reasons), and on a mean row
when any of its replicates collapsed.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sparselab.foundations import io as fio
from sparselab.evaluation.columns import COLUMNS as EVALUATION_COLUMNS
from sparselab.foundations.csvfile import read_rows
from sparselab.reports.collect import done_count, summarize
from sparselab.reports.records import AVERAGED, DONE, MAIN, ExperimentResult, JobResult

ID_COLUMNS = ("experiment", "command", "directory", "replicate", "level", "series", "status", "n")
VALUE_COLUMNS = ("density", "sparsity", "trunk_density", "collapsed", "collapse_reason",
                 "final_test_accuracy", "best_test_accuracy", "best_iteration",
                 "final_train_accuracy", "final_train_clean_accuracy", "final_train_noisy_accuracy",
                 "final_train_noisy_true_accuracy", "final_test_loss", "final_test_top_prediction_fraction",
                 "weights_on_path", "last_iteration", *EVALUATION_COLUMNS)
STD_COLUMNS = tuple(f"{m}_std" for m in AVERAGED)
ROW_COLUMNS = ID_COLUMNS + VALUE_COLUMNS + STD_COLUMNS


def sparsity(value: float | None) -> float | None:
    return None if value is None else round(1 - value, 12)


def _series_name(experiment: ExperimentResult, key: str) -> str:
    return MAIN if key == MAIN else experiment.series_label(key)


def rows(experiments: list[ExperimentResult]) -> list[dict[str, Any]]:
    out = []
    for experiment in experiments:
        for rep in experiment.replicates:
            for level, result in rep.levels.items():
                for key in experiment.series_keys():
                    job = result.series(key)
                    if job is not None:
                        out.append(_job_row(experiment, rep.replicate, level, key, job))
        if len(experiment.replicates) > 1:
            for level in experiment.level_numbers():
                for key in experiment.series_keys():
                    if experiment.jobs(level, key):
                        out.append(_mean_row(experiment, level, key))
    return out


def _base(experiment: ExperimentResult, replicate: Any, level: int, key: str) -> dict[str, Any]:
    row = dict.fromkeys(ROW_COLUMNS)
    row.update(experiment=experiment.label, command=experiment.command, replicate=replicate,
               level=level if experiment.kind == "trunk" else None, series=_series_name(experiment, key))
    return row


def _job_row(experiment: ExperimentResult, replicate: int, level: int, key: str, job: JobResult) -> dict[str, Any]:
    row = _base(experiment, replicate, level, key)
    row.update(directory=str(job.directory), status=job.status, n=1 if job.status == DONE else 0)
    for column in VALUE_COLUMNS:
        if column in job.values:
            row[column] = job.values[column]
    row["sparsity"] = sparsity(job.get("density"))
    row["collapsed"] = job.collapsed
    row["collapse_reason"] = "; ".join(job.collapse_reasons) or None
    row["last_iteration"] = job.last_iteration
    return row


def _mean_row(experiment: ExperimentResult, level: int, key: str) -> dict[str, Any]:
    row = _base(experiment, "mean", level, key)
    stats = summarize(experiment, level, key)
    row.update(directory=str(experiment.directory), status="mean", n=done_count(experiment, level, key))
    for metric, stat in stats.items():
        row[metric] = stat.mean
        row[f"{metric}_std"] = stat.std
    row["sparsity"] = sparsity(row["density"])
    done = [job for _, job in experiment.jobs(level, key) if job.status == DONE]
    if done:
        reasons = sorted({r for job in done for r in job.collapse_reasons})
        row["collapsed"] = any(job.collapsed for job in done)
        row["collapse_reason"] = "; ".join(reasons) or None
    return row


def to_csv(table: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(ROW_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow({k: "" if v is None else (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return out.getvalue()


def write_csv(path: Path | str, table: list[dict[str, Any]]) -> None:
    fio.write_text(path, to_csv(table))


def read_csv(path: Path | str) -> list[dict[str, Any]]:
    """Read a report CSV back: numbers as int/float, `collapsed` as bool, empty cells as None."""
    table = read_rows(path)
    for row in table:
        if row.get("collapsed") in ("True", "False"):
            row["collapsed"] = row["collapsed"] == "True"
    return table


def to_json(experiments: list[ExperimentResult], table: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows plus, per experiment, what the rows cannot say: hparams, missing levels."""
    meta = []
    for e in experiments:
        meta.append({
            "label": e.label, "name": e.name, "command": e.command, "kind": e.kind,
            "directory": str(e.directory), "hparams": e.hparams,
            "replicates": [r.replicate for r in e.replicates],
            "branches": {k: {"name": b.name, "hash": b.hash, "label": b.label, "hparams": b.hparams}
                         for k, b in e.branches.items()},
            "missing_levels": {str(r.replicate): e.missing_levels(r) for r in e.replicates
                               if e.kind == "trunk" and e.missing_levels(r)},
        })
    return {"experiments": meta, "columns": list(ROW_COLUMNS), "rows": table}


def write_json(path: Path | str, experiments: list[ExperimentResult], table: list[dict[str, Any]]) -> None:
    fio.write_json(path, to_json(experiments, table))
