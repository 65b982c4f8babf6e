"""Text tables of experiments (per replicate, then mean ± std), in percent (CSV/JSON rows: reports.rows)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sparselab.analysis.reports.collect import done_count, summarize
from sparselab.analysis.reports.records import (DAMAGED, DONE, IN_PROGRESS, MAIN, MISSING, UNVERIFIED, ExperimentResult,
                                                JobResult, Stat)
from sparselab.analysis.reports.rows import sparsity as _sparsity
from sparselab.core.table import Group, render


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
BEST = Column("best test % (@it)", "best_test_accuracy", _best, lambda s: pm(s["best_test_accuracy"]), "best test %")
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
    if not job.verified:
        return f"({name}unverified{'' if job.status == UNVERIFIED else ', averaged'})"
    if job.collapse_reasons:
        return f"({name}COLLAPSED: {', '.join(job.collapse_reasons)})"
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
        rows = [_result_row(experiment, columns, str(rep.replicate), rep.levels[0]) for rep in experiment.replicates]
        return _render_with_status(groups, rows)
    blocks = []
    for rep in experiment.replicates:
        groups, columns = _groups(experiment, "level", with_n=False)
        rows = [_result_row(experiment, columns, str(level), result) for level, result in rep.levels.items()]
        blocks.append(f"replicate {rep.replicate}\n" + _render_with_status(groups, rows))
    return "\n\n".join(blocks)


def _result_row(experiment: ExperimentResult, columns: dict, first: str, result: Any) -> list[str]:
    """`first`, the cells of every series of one level's result, then its status notes."""
    row, notes = [first], []
    for key in experiment.series_keys():
        job = result.series(key)
        row += _job_cells(columns[key], job)
        if job is not None and (key == MAIN or job.status != MISSING):
            notes.append(_status(experiment, job, key))
    return row + [" ".join(n for n in notes if n)]


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
        rows.append(row + [_collapsed_note(experiment, level)])
    return _render_with_status(groups, rows)


def _collapsed_note(experiment: ExperimentResult, level: int) -> str:
    """'(COLLAPSED in 1/3: main)': how many finished replicates of each series collapsed at a level."""
    parts = []
    for key in experiment.series_keys():
        done = experiment.done_jobs(level, key)
        bad = sum(1 for job in done if job.collapsed)
        if bad:
            parts.append(f"{experiment.series_label(key)} {bad}/{len(done)}")
    return f"(COLLAPSED: {', '.join(parts)})" if parts else ""


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
    unverified = experiment.unverified()
    if unverified:
        averaged = ("averaged as asked (--include_unverified)" if unverified[0].status == DONE
                    else "left out of the means (--include_unverified averages them)")
        lines.append(f"unverified: {len(unverified)} job(s) finished before checksums existed, nothing vouches "
                     f"for their numbers; {averaged}")
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
