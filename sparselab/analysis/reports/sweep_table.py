"""A sweep's results as one table: each grid point (and level) with mean ± std (n) over its replicates,
printed by `report <command> ... --sweep ...` and after a sweep has run (`print_summary`)."""
from __future__ import annotations

from typing import Sequence

from sparselab.analysis.reports.collect import done_count, summarize
from sparselab.analysis.reports.records import ExperimentResult
from sparselab.analysis.reports.table import dens, pm
from sparselab.core.table import Group, render

TITLE = "sweep: mean ± std over replicates (n = finished replicates) for each grid point"


def sweep_table(experiments: Sequence[ExperimentResult]) -> str:
    """One row per grid point and level (a train run: per point) of the trunk's own jobs."""
    fields = list(dict.fromkeys(f for e in experiments for f in e.swept))
    trunk = any(e.kind == "trunk" for e in experiments)
    headers = [*fields, *(["level", "density"] if trunk else []), "final test %", "best test %", "n"]
    rows = []
    for experiment in experiments:
        for level in experiment.level_numbers() if trunk else [0]:
            stats = summarize(experiment, level)
            values = [experiment.swept.get(f, "-") for f in fields]
            if trunk:
                values += [str(level), dens(stats["density"].mean)]
            rows.append(values + [pm(stats["final_test_accuracy"]), pm(stats["best_test_accuracy"]),
                                  str(done_count(experiment, level))])
    return f"{TITLE}\n" + render([Group("", headers, left=set(range(len(fields))))], rows)


def print_summary(command: str, argv: Sequence[str]) -> None:
    """After a sweep of `command` ran: its table, when `report` can find the command's runs."""
    from sparselab.analysis.reports.command import run_commands, sweep_directories
    from sparselab.analysis.reports.sources import collect_any

    if command not in run_commands():
        return
    paths, points, _ = sweep_directories(command, list(argv))
    experiments = [collect_any(p) for p in paths]
    for experiment, point in zip(experiments, points):
        experiment.swept = point
    print("\n" + sweep_table(experiments), flush=True)
