"""The tidy CSV and JSON rows: one per (experiment, replicate, level, series), fractions as written, and one
summary row per (experiment, level, series) (n, mean, `*_std`). `trunk_density`: the x of a branch's row."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sparselab.core import io as fio
from sparselab.analysis.evaluation.columns import COLUMNS as EVALUATION_COLUMNS
from sparselab.core.csvfile import read_rows
from sparselab.analysis.reports.collect import done_count, summarize
from sparselab.analysis.reports.records import AVERAGED, DONE, MAIN, ExperimentResult, JobResult

ID_COLUMNS = ("experiment", "command", "directory", "replicate", "level", "series", "status", "n")
VALUE_COLUMNS = ("density", "sparsity", "density_counted", "density_model", "density_all_parameters", "trunk_density",
                 "collapsed", "collapse_reason", "final_test_accuracy", "best_test_accuracy", "best_iteration",
                 "final_train_accuracy", "final_train_clean_accuracy", "final_train_noisy_accuracy",
                 "final_train_noisy_true_accuracy", "final_test_loss", "final_test_top_prediction_fraction",
                 "weights_on_path", "last_iteration", "multiply_adds_dense", "multiply_adds_sparse",
                 *EVALUATION_COLUMNS)
STD_COLUMNS = tuple(f"{m}_std" for m in AVERAGED)
ROW_COLUMNS = ID_COLUMNS + VALUE_COLUMNS
SUMMARY_COLUMNS = ("experiment", "command", "directory", "level", "series", "n", *AVERAGED, "sparsity",
                   *STD_COLUMNS, "collapsed", "collapse_reason")


def sparsity(value: float | None) -> float | None:
    return None if value is None else round(1 - value, 12)


def _series_name(experiment: ExperimentResult, key: str) -> str:
    return MAIN if key == MAIN else experiment.series_label(key)


def rows(experiments: list[ExperimentResult]) -> list[dict[str, Any]]:
    """One row per job: (experiment, replicate, level, series)."""
    out = []
    for experiment in experiments:
        for rep in experiment.replicates:
            for level, result in rep.levels.items():
                for key in experiment.series_keys():
                    job = result.series(key)
                    if job is not None:
                        out.append(_job_row(experiment, rep.replicate, level, key, job))
    return out


def summary_rows(experiments: list[ExperimentResult]) -> list[dict[str, Any]]:
    """One row per (experiment, level, series) that has jobs: n, means and sample stds."""
    return [_mean_row(experiment, level, key) for experiment in experiments
            for level in experiment.level_numbers() for key in experiment.series_keys()
            if experiment.jobs(level, key)]


def with_swept(experiments: list[ExperimentResult], columns: tuple[str, ...]) -> tuple[str, ...]:
    """`columns` with one column per swept field after `experiment` (a --sweep report)."""
    swept = tuple(dict.fromkeys(f for e in experiments for f in e.swept if f not in columns))
    return columns[:1] + swept + columns[1:]


def _base(experiment: ExperimentResult, level: int, key: str, columns: tuple[str, ...]) -> dict[str, Any]:
    row = dict.fromkeys(columns)
    row.update(experiment=experiment.label, **experiment.swept)
    row.update(command=experiment.command, level=level, series=_series_name(experiment, key))
    return row


def _job_row(experiment: ExperimentResult, replicate: int, level: int, key: str, job: JobResult) -> dict[str, Any]:
    row = _base(experiment, level, key, ROW_COLUMNS)
    row.update(directory=str(job.directory), replicate=replicate, status=job.status, n=1 if job.status == DONE else 0)
    for column in VALUE_COLUMNS:
        if column in job.values:
            row[column] = job.values[column]
    row["sparsity"] = sparsity(job.get("density"))
    row["collapsed"] = job.collapsed
    row["collapse_reason"] = "; ".join(job.collapse_reasons) or None
    row["last_iteration"] = job.last_iteration
    return row


def _mean_row(experiment: ExperimentResult, level: int, key: str) -> dict[str, Any]:
    row = _base(experiment, level, key, SUMMARY_COLUMNS)
    stats = summarize(experiment, level, key)
    row.update(directory=str(experiment.directory), n=done_count(experiment, level, key))
    for metric, stat in stats.items():
        row[metric] = stat.mean
        row[f"{metric}_std"] = stat.std
    row["sparsity"] = sparsity(row["density"])
    done = experiment.done_jobs(level, key)
    if done:
        reasons = sorted({r for job in done for r in job.collapse_reasons})
        row["collapsed"] = any(job.collapsed for job in done)
        row["collapse_reason"] = "; ".join(reasons) or None
    return row


def to_csv(table: list[dict[str, Any]], columns: tuple[str, ...] = ROW_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow({k: "" if v is None else (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return out.getvalue()


def write_csv(path: Path | str, table: list[dict[str, Any]], columns: tuple[str, ...] = ROW_COLUMNS) -> None:
    fio.write_text(path, to_csv(table, columns))


def read_csv(path: Path | str) -> list[dict[str, Any]]:
    """Read a report CSV back: numbers as int/float, `collapsed` as bool, empty cells as None."""
    table = read_rows(path)
    for row in table:
        if row.get("collapsed") in ("True", "False"):
            row["collapsed"] = row["collapsed"] == "True"
    return table


def to_json(experiments: list[ExperimentResult], table: list[dict[str, Any]],
            summary: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The rows and summary rows plus, per experiment, what the rows cannot say: hparams, missing levels."""
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
    return {"experiments": meta, "columns": list(ROW_COLUMNS), "rows": table,
            "summary_columns": list(SUMMARY_COLUMNS),
            "summary": summary_rows(experiments) if summary is None else summary}


def write_json(path: Path | str, experiments: list[ExperimentResult], table: list[dict[str, Any]]) -> None:
    fio.write_json(path, to_json(experiments, table))
