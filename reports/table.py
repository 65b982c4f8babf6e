"""Text tables of experiments (per replicate, then mean ± std) and the same data as CSV and JSON.

Text shows percentages; CSV and JSON keep the fractions exactly as the jobs wrote them, one row per
(experiment, replicate, level, series), plus one 'mean' row per (experiment, level, series) when an
experiment has several replicates (its `*_std` columns hold the sample standard deviations).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from foundations import io as fio
from foundations.csvfile import read_rows
from reports.collect import done_count, summarize
from reports.records import (AVERAGED, DAMAGED, DONE, IN_PROGRESS, MAIN, MISSING, ExperimentResult, JobResult,
                             Stat)
from reports.text import Group, render


# ----- cell formatting ---------------------------------------------------------------------------
def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def dens(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def pm(stat: Stat) -> str:
    """'97.20 ± 0.31' in percent; no ± with a single value, '-' with none."""
    if stat.mean is None:
        return "-"
    if stat.std is None:
        return pct(stat.mean)
    return f"{pct(stat.mean)} ± {100 * stat.std:.2f}"


def _sparsity(value: float | None) -> float | None:
    return None if value is None else round(1 - value, 12)


def _best(job: JobResult) -> str:
    best, at = job.get("best_test_accuracy"), job.get("best_iteration")
    return pct(best) if at is None or best is None else f"{pct(best)} (@{at})"


@dataclass(frozen=True)
class Column:
    header: str
    metric: str  # the value that decides whether the column is shown for a series
    cell: Callable[[JobResult], str]
    stat: Callable[[dict[str, Stat]], str]
    mean_header: str | None = None  # header in the mean table, when it differs

    def title(self, mean: bool) -> str:
        return self.mean_header if mean and self.mean_header else self.header


def _acc(header: str, metric: str) -> Column:
    return Column(header, metric, lambda j: pct(j.get(metric)), lambda s: pm(s[metric]))


DENSITY = Column("density", "density", lambda j: dens(j.get("density")), lambda s: dens(s["density"].mean))
SPARSITY = Column("sparsity %", "density", lambda j: pct(_sparsity(j.get("density"))),
                  lambda s: pct(_sparsity(s["density"].mean)))
FINAL = _acc("final test %", "final_test_accuracy")
BEST = Column("best test % (@it)", "best_test_accuracy", _best, lambda s: pm(s["best_test_accuracy"]),
              "best test %")
TRAIN = _acc("train %", "final_train_accuracy")
CLEAN = _acc("clean train %", "final_train_clean_accuracy")
NOISY = _acc("noisy train %", "final_train_noisy_accuracy")
NOISY_TRUE = _acc("noisy train, true label %", "final_train_noisy_true_accuracy")
OPTIONAL = (TRAIN, CLEAN, NOISY, NOISY_TRUE)  # shown for a series only when some job has the value


def series_columns(experiment: ExperimentResult, key: str) -> list[Column]:
    jobs = [job for level in experiment.level_numbers() for _, job in experiment.jobs(level, key)]
    present = {metric for job in jobs for metric, v in job.values.items() if v is not None}
    if key == MAIN:
        columns = [DENSITY, SPARSITY, FINAL, BEST] if experiment.kind == "trunk" else [FINAL, BEST]
    else:
        columns = [FINAL, BEST]
        if _density_differs(experiment, key):
            columns = [DENSITY, SPARSITY, *columns]
    return columns + [c for c in OPTIONAL if c.metric in present]


def _density_differs(experiment: ExperimentResult, key: str) -> bool:
    for rep in experiment.replicates:
        for result in rep.levels.values():
            branch = result.branches.get(key)
            if branch is not None and branch.get("density") is not None:
                main = result.main.get("density")
                if main is None or abs(branch.get("density") - main) > 1e-9:
                    return True
    return False


# ----- text --------------------------------------------------------------------------------------
def _status(experiment: ExperimentResult, job: JobResult, key: str) -> str:
    name = "" if key == MAIN else f"{experiment.series_label(key)} "
    if job.status == IN_PROGRESS:
        at = f" @ it {job.last_iteration}" if job.last_iteration is not None else ""
        return f"({name}in progress{at})"
    if job.status == MISSING:
        return f"({name}missing)"
    if job.status == DAMAGED:
        return f"({name}DAMAGED)"
    return ""


def _job_cells(columns: list[Column], job: JobResult | None) -> list[str]:
    if job is None:
        return [""] * len(columns)
    if job.status in (MISSING, DAMAGED):
        return ["-"] * len(columns)
    return [c.cell(job) for c in columns]


def _groups(experiment: ExperimentResult, first: str, with_n: bool) -> tuple[list[Group], dict[str, list[Column]]]:
    columns = {key: series_columns(experiment, key) for key in experiment.series_keys()}
    groups = []
    for key in experiment.series_keys():
        headers = [c.title(with_n) for c in columns[key]] + (["n"] if with_n else [])
        if key == MAIN:
            headers = [first, *headers]
        groups.append(Group(experiment.series_label(key) if experiment.branches else "", headers))
    return groups, columns


def replicate_table(experiment: ExperimentResult) -> str:
    """Trunks: one table per replicate, a row per level. Train runs: one table, a row per replicate."""
    if experiment.kind == "train":
        groups, columns = _groups(experiment, "replicate", with_n=False)
        rows = []
        for rep in experiment.replicates:
            job = rep.levels[0].main
            rows.append([str(rep.replicate), *_job_cells(columns[MAIN], job), _status(experiment, job, MAIN)])
        return _render_with_status(groups, rows)
    blocks = []
    for rep in experiment.replicates:
        groups, columns = _groups(experiment, "level", with_n=False)
        rows = []
        for level, result in rep.levels.items():
            row = [str(level)]
            notes = []
            for key in experiment.series_keys():
                job = result.series(key)
                row += _job_cells(columns[key], job)
                if job is not None and (key == MAIN or job.status != MISSING):
                    notes.append(_status(experiment, job, key))
            rows.append(row + [" ".join(n for n in notes if n)])
        blocks.append(f"replicate {rep.replicate}\n" + _render_with_status(groups, rows))
    return "\n\n".join(blocks)


def _render_with_status(groups: list[Group], rows: list[list[str]]) -> str:
    """The last cell of each row is its status; the column is shown only when some row has one."""
    if any(row[-1] for row in rows):
        return render([*groups, Group("", ["status"], left={0})], rows)
    return render(groups, [row[:-1] for row in rows])


def mean_table(experiment: ExperimentResult) -> str:
    """Mean ± sample std over the replicates whose job is done; n = how many."""
    first = "level" if experiment.kind == "trunk" else "runs"
    groups, columns = _groups(experiment, first, with_n=True)
    rows = []
    for level in experiment.level_numbers():
        row = [str(level) if experiment.kind == "trunk" else "all"]
        for key in experiment.series_keys():
            n = done_count(experiment, level, key)
            if n == 0:
                row += ["-"] * len(columns[key]) + ["0"]
                continue
            stats = summarize(experiment, level, key)
            row += [c.stat(stats) for c in columns[key]] + [str(n)]
        rows.append(row)
    return render(groups, rows)


def notes(experiment: ExperimentResult) -> list[str]:
    """Missing levels (with the command that creates them), jobs in progress, pretraining state."""
    lines = []
    for rep in experiment.replicates:
        missing = experiment.missing_levels(rep)
        if experiment.kind == "trunk" and missing:
            lines.append(f"replicate {rep.replicate}: missing level(s) {', '.join(map(str, missing))}; "
                         f"create with: python main.py {experiment.command} <same flags> "
                         f"--replicate={rep.replicate} --levels={max(missing)}")
        if experiment.kind == "train" and rep.levels[0].main.status == MISSING:
            lines.append(f"replicate {rep.replicate}: missing (no results in {rep.levels[0].main.directory})")
        if rep.pretrain is not None and rep.pretrain != DONE:
            lines.append(f"replicate {rep.replicate}: level_pretrain {rep.pretrain}")
    for job in experiment.damaged():
        lines.append(f"DAMAGED, not shown: {job.problem}")
    for replicate, level, key, job in experiment.in_progress():
        where = f"level {level} " if experiment.kind == "trunk" else ""
        series = "" if key == MAIN else f"{experiment.series_label(key)} "
        at = f" (last logged iteration {job.last_iteration})" if job.last_iteration is not None else ""
        lines.append(f"replicate {replicate}: {where}{series}in progress{at}")
    return lines


def report_text(experiments: list[ExperimentResult]) -> str:
    parts = []
    for experiment in experiments:
        count = len(experiment.replicates)
        head = (f"== {experiment.label}: {experiment.name} ({count} replicate{'s' if count != 1 else ''}) ==\n"
                f"{experiment.directory}")
        body = [head, replicate_table(experiment)]
        if count > 1:
            body.append("mean ± std over replicates (n = finished replicates)\n" + mean_table(experiment))
        extra = notes(experiment)
        if extra:
            body.append("\n".join(extra))
        parts.append("\n\n".join(body))
    return "\n\n\n".join(parts)


# ----- rows: the data of CSV and JSON ------------------------------------------------------------
ID_COLUMNS = ("experiment", "command", "directory", "replicate", "level", "series", "status", "n")
VALUE_COLUMNS = ("density", "sparsity", "final_test_accuracy", "best_test_accuracy", "best_iteration",
                 "final_train_accuracy", "final_train_clean_accuracy", "final_train_noisy_accuracy",
                 "final_train_noisy_true_accuracy", "final_test_loss", "last_iteration")
STD_COLUMNS = tuple(f"{m}_std" for m in AVERAGED)
ROW_COLUMNS = ID_COLUMNS + VALUE_COLUMNS + STD_COLUMNS


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
    row["sparsity"] = _sparsity(job.get("density"))
    row["last_iteration"] = job.last_iteration
    return row


def _mean_row(experiment: ExperimentResult, level: int, key: str) -> dict[str, Any]:
    row = _base(experiment, "mean", level, key)
    stats = summarize(experiment, level, key)
    row.update(directory=str(experiment.directory), status="mean", n=done_count(experiment, level, key))
    for metric, stat in stats.items():
        row[metric] = stat.mean
        row[f"{metric}_std"] = stat.std
    row["sparsity"] = _sparsity(row["density"])
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
    """Read a report CSV back: numbers as int/float, empty cells as None."""
    return read_rows(path)


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
