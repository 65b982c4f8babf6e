"""The Python API: `run` a command in this process, `load_job` a finished job, `report` rows.

    import sparselab
    result = sparselab.run("lottery", levels=2, root="runs")     # = sparselab lottery --levels=2 --root=runs
    result.levels[2]["final_test_accuracy"]
    job = sparselab.load_job(result.path)                          # the last level: model, mask, metrics
    rows = sparselab.report(result.path)                           # list of dicts (pandas.DataFrame(rows))

A bad command or flag raises `sparselab.UsageError` (a failed run `JobFailed`), with the message the
command line would print after `error:`; nothing calls `sys.exit`. Importing this module imports no
torch: each function imports what it needs.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from sparselab.core.cli import did_you_mean
from sparselab.core.errors import JobFailed, UsageError
from sparselab.job_loader import Job, load_job

__all__ = ["Job", "JobFailed", "Result", "UsageError", "load_job", "report", "run", "to_argv"]

_NOT_JOBS = ("report", "list", "verify", "evaluate_ensemble")  # commands that train nothing


@dataclass(frozen=True)
class Result:
    """What a job command produced: its directory and the contents of its `done.json` files.

    `path`: a `train` job's directory, a trunk's replicate folder (`load_job(path)` takes its last
    level), or for a branch the trunk's replicate folder. `done`: the job's done.json (train), or the
    last level's. `levels`: level -> done.json, and `level_paths`: level -> job directory (trunks, branches).

    A command that ran several jobs (`replicates=`, `sweep=`) returns one Result holding them: `jobs`
    (one Result per job, in the order the jobs are listed; iterating the Result gives them), `replicates`
    (replicate -> job, for one grid point), `mean(metric, level)`; its `path` is the jobs' common
    experiment folder (their results root for a sweep), and `done`, `levels` are empty.
    """

    command: str
    path: Path
    done: dict[str, Any] | None
    levels: dict[int, dict[str, Any]] = field(default_factory=dict)
    level_paths: dict[int, Path] = field(default_factory=dict)
    jobs: tuple["Result", ...] = ()
    point: dict[str, str] = field(default_factory=dict)  # the job's --sweep values ({} outside a sweep)

    @property
    def final_test_accuracy(self) -> float | None:
        return (self.done or {}).get("final_test_accuracy")

    @property
    def replicate(self) -> int | None:
        """The replicate of a single job (None for a Result of several)."""
        from sparselab.store.tree import replicate_of

        return None if self.jobs else replicate_of(self.path)

    @property
    def replicates(self) -> dict[int, "Result"]:
        """replicate -> its job; a sweep has several jobs per replicate: pick a point's first (`by_point`)."""
        if len({tuple(sorted(j.point.items())) for j in self.jobs}) > 1:
            raise UsageError("this Result holds a sweep (several grid points): use by_point() or jobs")
        return {int(j.replicate): j for j in self.jobs} if self.jobs else {int(self.replicate or 1): self}

    def by_point(self) -> dict[tuple[tuple[str, str], ...], list["Result"]]:
        """The jobs grouped by grid point ((field, value) pairs, in --sweep order)."""
        groups: dict[tuple[tuple[str, str], ...], list[Result]] = {}
        for job in self.jobs or (self,):
            groups.setdefault(tuple(job.point.items()), []).append(job)
        return groups

    def mean(self, metric: str = "final_test_accuracy", level: int | None = None) -> tuple[float | None, float | None, int]:
        """(mean, sample std, n) of a done.json value over the jobs (`level`: that trunk level's)."""
        from sparselab.analysis.reports.collect import mean_std

        values = []
        for job in self.jobs or (self,):
            done = job.done if level is None else job.levels.get(level)
            if done is not None and done.get(metric) is not None:
                values.append(float(done[metric]))
        stat = mean_std(values)
        return stat.mean, stat.std, stat.n

    def __iter__(self) -> Iterator["Result"]:
        return iter(self.jobs or (self,))

    def __len__(self) -> int:
        return len(self.jobs) or 1

    def __getitem__(self, index: int) -> "Result":
        return (self.jobs or (self,))[index]


def to_argv(flags: Mapping[str, Any]) -> list[str]:
    """Keyword flags as command-line flags: True -> `--name`, False -> `--name=false`, a list or
    tuple -> comma-separated, None -> left out (the default); `sweep={"lr": [0.1, 0.2], ...}` (or a
    list of "FIELD=V1,V2") -> one `--sweep` per field."""
    argv = []
    for name, value in flags.items():
        if value is None:
            continue
        if name == "sweep" and not isinstance(value, str):  # {field: values} or ["field=v1,v2", ...]
            specs = [f"{k}={','.join(map(str, v)) if isinstance(v, (list, tuple)) else v}" for k, v in value.items()] \
                if isinstance(value, Mapping) else [str(v) for v in value]
            argv += [f"--sweep={spec}" for spec in specs]
            continue
        if name in ("help", "h"):
            raise UsageError("--help is for the command line; see `sparselab <command> --help`")
        flag = f"--{name}"
        if value is True:
            argv.append(flag)
        elif value is False:
            argv.append(f"{flag}=false")
        elif isinstance(value, (list, tuple)):
            argv.append(f"{flag}={','.join(str(v) for v in value)}")
        else:
            argv.append(f"{flag}={value}")
    return argv


def _main(argv: Sequence[str]) -> int:
    """Run sparselab.main in this process with its errors raised; its exit status."""
    from sparselab import main

    try:
        return main.main(list(argv), raising=True)
    except SystemExit as e:  # argparse's --help/--version only: every error is a UsageError
        raise UsageError(f"`{' '.join(argv)}` stopped with status {e.code}") from None


def _print_paths(argv: Sequence[str]) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _main([*argv, "--print_path"])
    return [line.strip() for line in out.getvalue().splitlines() if line.strip()]


def run(command: str, *args: str, **flags: Any) -> Result | None:
    """Run `sparselab <command> <args> <flags>` in this process and return what it produced.

    `args`: positional words (a branch name, report paths); `flags`: `--name=value` flags (see
    `to_argv`). Returns a `Result` (one holding every job when the command runs several: replicates,
    sweeps), None for commands that train nothing (report, list, verify, evaluate_ensemble).
    """
    from sparselab.main import runners

    table = runners()
    if command not in table:
        raise UsageError(f"unknown command {command!r}; choose from {', '.join(table)}" + did_you_mean(command, table))
    argv = [command, *map(str, args), *to_argv(flags)]
    if command in _NOT_JOBS or flags.get("print_path") or flags.get("dry_run"):
        status = _main(argv)
        if status:
            raise JobFailed(f"sparselab {' '.join(argv)} exited with status {status}")
        return None
    where = _print_paths(argv)  # validates every flag before anything is written
    with contextlib.redirect_stdout(io.StringIO()) if flags.get("quiet") else contextlib.nullcontext():
        status = _main(argv)  # quiet=True: nothing printed (the CLI's --quiet still prints banner and result)
    if status:
        raise JobFailed(f"sparselab {' '.join(argv)} exited with status {status}")
    results = _results(command, where)
    return results[0] if len(results) == 1 else _several(command, argv, results)


def _several(command: str, argv: Sequence[str], results: list[Result]) -> Result:
    """One Result holding the jobs of a replicates/sweep run, each given its grid point."""
    import dataclasses
    import os

    from sparselab.platforms.grid import expand, values

    jobs = expand(command, argv[1:], branch=command.endswith("_branch")).jobs()
    if len(jobs) == len(results):  # one directory per job (a branch's levels are one Result)
        results = [dataclasses.replace(r, point=values(j.point)) for r, j in zip(results, jobs)]
    folders = {r.path.parent if r.path.name.startswith("replicate_") else r.path for r in results}
    common = Path(os.path.commonpath([str(f) for f in folders]))
    path = next(iter(folders)) if len(folders) == 1 else (common if common not in folders else common.parent)
    return Result(command, path, None, jobs=tuple(results))


def _results(command: str, lines: list[str]) -> list[Result]:
    """Results from what `--print_path` printed: one directory per job, or `level L: DIR  [...]` lines."""
    from sparselab.train import job

    branch_levels: dict[int, Path] = {}
    results = []
    for line in lines:
        if line.startswith("level ") and ":" in line:
            head, rest = line.split(":", 1)
            branch_levels[int(head.split()[1])] = Path(rest.split("  [")[0].strip())
            continue
        path = Path(line.split()[-1]) if line.split() else Path(line)
        if job.is_done(path):
            results.append(Result(command, path, job.read_done(path)))
            continue
        levels = {int(p.name.split("_")[1]): p / "main" for p in path.glob("level_*")
                  if p.name.split("_")[1].isdigit() and job.is_done(p / "main")}
        results.append(_with_levels(command, path, levels))
    if branch_levels:
        done = {lv: d for lv, d in branch_levels.items() if job.is_done(d)}
        trunk = next(iter(branch_levels.values())).parent.parent
        results.append(_with_levels(command, trunk, done))
    return results


def _with_levels(command: str, path: Path, directories: Mapping[int, Path]) -> Result:
    from sparselab.train import job

    levels = {lv: job.read_done(d) for lv, d in sorted(directories.items())}
    last = levels[max(levels)] if levels else None
    return Result(command, path, last, levels, dict(sorted(directories.items())))


def _targets(item: Any) -> list[tuple[Path, dict[str, str]]]:
    """(folder, grid point) to report for a path or a Result; a Result of several jobs: each experiment
    folder once (all its replicates), with the point's --sweep values."""
    jobs = getattr(item, "jobs", ())
    if not jobs:
        return [(Path(getattr(item, "path", item)), {})]
    found: dict[Path, dict[str, str]] = {}
    for job in jobs:
        folder = job.path.parent if job.path.name.startswith("replicate_") else job.path
        found.setdefault(folder, job.point)
    return list(found.items())


def report(*paths: Any, **flags: Any) -> list[dict[str, Any]]:
    """The rows of `sparselab report` as a list of dicts (`pandas.DataFrame(rows)` takes them).

    `report(path, ...)`: experiment or replicate folders, or `Result`s. `report("lottery", levels=30,
    root=R, ...)`: the experiment these flags describe, found as `sparselab report lottery ...` does
    (with `sweep=`: every grid point that has run, each row with its swept values).
    """
    from sparselab.main import runners
    from sparselab.analysis.reports import density_axis, rows
    from sparselab.analysis.reports.sources import collect_any
    from sparselab.analysis.reports.command import run_commands, sweep_directories

    runners()  # publishes the command table (report reads records through it)
    if not paths:
        raise UsageError("report: give experiment folders, `Result`s, or a command name and its flags")
    first = paths[0]
    if isinstance(first, str) and first in run_commands() and not Path(first).exists():
        if len(paths) > 1:
            raise UsageError("report(command, **flags): give the run's flags as keywords, no further paths")
        folders, points, _ = sweep_directories(first, to_argv(flags))  # sweep=: every grid point that ran
        targets: list[tuple[Path, dict[str, str]]] = list(zip(folders, points))
    else:
        if flags:
            raise UsageError(f"report(paths): flags {', '.join(flags)} apply only to report(command, **flags)")
        targets = [t for p in paths for t in _targets(p)]
    experiments = [collect_any(t) for t, _ in targets]  # sparselab's trees and OpenLTH's
    for experiment, (_, point) in zip(experiments, targets):
        experiment.swept = point
    density_axis.apply(experiments)
    return rows.rows(experiments)

