"""The Python API: `run` a command in this process, `load_job` a finished job, `report` rows.

    import sparselab
    result = sparselab.run("lottery", levels=2, root="runs")     # = sparselab lottery --levels=2 --root=runs
    result.levels[2]["final_test_accuracy"]
    job = sparselab.load_job(result.path)                          # the last level: model, mask, metrics
    rows = sparselab.report(result.path)                           # list of dicts (pandas.DataFrame(rows))

Errors raise `UsageError` / `JobFailed` with the command line's `error:` message. Importing this imports no torch.
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
    """A job's directory (a train job, or a trunk's/branch's replicate folder) and its done.json (the last level's),
    `levels`: level -> done.json, `level_paths`: level -> job directory. Several jobs (replicates=, sweep=): `jobs`
    in listed order, `path` their common folder, `done` and `levels` empty."""

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
        from sparselab.store.tree import replicate_of

        return None if self.jobs else replicate_of(self.path)

    @property
    def replicates(self) -> dict[int, "Result"]:
        """replicate -> its job (one grid point only)."""
        if len({tuple(sorted(j.point.items())) for j in self.jobs}) > 1:
            raise UsageError("this Result holds a sweep (several grid points): use by_point() or jobs")
        return {int(j.replicate): j for j in self.jobs} if self.jobs else {int(self.replicate or 1): self}

    def by_point(self) -> dict[tuple[tuple[str, str], ...], list["Result"]]:
        """The jobs by grid point ((field, value) pairs, in --sweep order)."""
        groups: dict[tuple[tuple[str, str], ...], list[Result]] = {}
        for job in self.jobs or (self,):
            groups.setdefault(tuple(job.point.items()), []).append(job)
        return groups

    def mean(self, metric: str = "final_test_accuracy", level: int | None = None) -> tuple[float | None, float | None, int]:
        """(mean, sample std, n) of a done.json value over the jobs (`level`: that trunk level's)."""
        from sparselab.analysis.reports.collect import mean_std

        dones = [job.done if level is None else job.levels.get(level) for job in self.jobs or (self,)]
        stat = mean_std([float(d[metric]) for d in dones if d is not None and d.get(metric) is not None])
        return stat.mean, stat.std, stat.n

    def __iter__(self) -> Iterator["Result"]:
        return iter(self.jobs or (self,))

    def __len__(self) -> int:
        return len(self.jobs) or 1

    def __getitem__(self, index: int) -> "Result":
        return (self.jobs or (self,))[index]


def to_argv(flags: Mapping[str, Any]) -> list[str]:
    """True -> `--name`, False -> `--name=false`, list -> comma-separated, None -> left out; `sweep={"lr": [0.1,
    0.2]}` (or ["FIELD=V1,V2"]) -> one `--sweep` per field."""
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
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        argv.append(f"--{name}" if value is True else f"--{name}=false" if value is False else f"--{name}={value}")
    return argv


def _main(argv: Sequence[str]) -> int:
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
    """`sparselab <command> <args> <flags>` in this process (`to_argv`): a `Result`, None for commands that train
    nothing."""
    from sparselab.main import runners

    table = runners()
    if command not in table:
        raise UsageError(f"unknown command {command!r}; choose from {', '.join(table)}" + did_you_mean(command, table))
    argv = [command, *map(str, args), *to_argv(flags)]
    training = not (command in _NOT_JOBS or flags.get("print_path") or flags.get("dry_run"))
    where = _print_paths(argv) if training else []  # validates every flag before anything is written
    with contextlib.redirect_stdout(io.StringIO()) if training and flags.get("quiet") else contextlib.nullcontext():
        status = _main(argv)  # quiet=True: nothing printed (the CLI's --quiet still prints banner and result)
    if status:
        raise JobFailed(f"sparselab {' '.join(argv)} exited with status {status}")
    if not training:
        return None
    results = _results(command, where)
    return results[0] if len(results) == 1 else _several(command, argv, results)


def _several(command: str, argv: Sequence[str], results: list[Result]) -> Result:
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
    """Results from `--print_path`'s lines: one directory per job, or `level L: DIR  [...]`."""
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
    """(folder, grid point) to report for a path or a Result (each experiment folder of its jobs once)."""
    jobs = getattr(item, "jobs", ())
    if not jobs:
        return [(Path(getattr(item, "path", item)), {})]
    found: dict[Path, dict[str, str]] = {}
    for job in jobs:
        folder = job.path.parent if job.path.name.startswith("replicate_") else job.path
        found.setdefault(folder, job.point)
    return list(found.items())


def report(*paths: Any, **flags: Any) -> list[dict[str, Any]]:
    """`sparselab report`'s rows as dicts, of folders or `Result`s, or of `report("lottery", levels=30, root=R)`:
    the runs these flags describe (sweep=: every grid point that ran, with its swept values)."""
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

