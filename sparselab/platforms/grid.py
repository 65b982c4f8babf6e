"""One command line -> independent jobs: replicates x `--sweep` grid points (x a branch's levels), each the command
line with its point's flags and `--replicate=R` typed, so it lands where typing it by hand does."""
from __future__ import annotations

import dataclasses
import itertools
import re
from typing import Sequence

from sparselab.core.cli import OneLineParser, pre_read
from sparselab.core.errors import JobFailed, UsageError
from sparselab.core.levels import parse_levels
from sparselab.core.scalars import number_flag
from sparselab.platforms.base import PlatformHparams

_FIELD = re.compile(r"^(?:--)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
# Flags a grid point may not set: they choose the jobs or where and how they run, not what they compute.
NOT_SWEPT = {"replicate": "use --replicates=LIST", "replicates": "use --replicates=LIST",
             "sweep": "give --sweep once per field", "workers": "--workers is one number",
             "workers_per_gpu": "--workers_per_gpu is one number", "platform": "one platform per sweep",
             "root": "one --root per sweep", "print_path": "add --print_path to the whole command",
             "levels": "a branch's --levels already lists its jobs"}


@dataclasses.dataclass(frozen=True)
class Job:
    argv: tuple[str, ...]  # main.py's arguments, the command first
    label: str             # e.g. "init_density=0.1 pruning_strategy=random replicate 2"
    point: tuple[str, ...] = ()  # the grid point's flags, e.g. ("--init_density=0.1",)
    replicate: int = 1


@dataclasses.dataclass(frozen=True)
class Expansion:
    command: str
    flags: tuple[str, ...]                   # the command line without the expansion flags
    points: tuple[tuple[str, ...], ...]      # each grid point's flags; ((),) without --sweep
    replicates: tuple[int, ...]
    levels: tuple[int, ...] | None           # a branch command under --workers: one job per level
    workers: int | None
    workers_per_gpu: int | None
    print_path: bool
    given: bool                              # --sweep, --replicates or --workers typed: main.py hands over

    def jobs(self) -> list[Job]:
        out = []
        levels: Sequence[int | None] = self.levels if self.levels is not None else (None,)
        for point, replicate, level in itertools.product(self.points, self.replicates, levels):
            extra = [*point, f"--replicate={replicate}"] + ([f"--levels={level}"] if level is not None else [])
            out.append(Job((self.command, *self.flags, *extra), label(point, replicate, level), point, replicate))
        return out


def values(point: Sequence[str]) -> dict[str, str]:
    return dict(p.removeprefix("--").split("=", 1) for p in point)


def label(point: Sequence[str], replicate: int, level: int | None = None) -> str:
    """How progress lines and errors name a job: its grid values, replicate and branch level."""
    words = [p.removeprefix("--") for p in point] + [f"replicate {replicate}"]
    return " ".join(words + ([f"level {level}"] if level is not None else []))


def answer(label: str, status: int, out: str, err: str, several: bool, exited: str = "exit status") -> str:
    """A job's `--print_path` answer; a failure is its last stderr line, a UsageError if it exited with 2."""
    if status == 0:
        return out.strip()
    message = (err.strip().splitlines() or [f"{exited} {status}"])[-1].removeprefix("error: ")
    message = f"{label}: {message}" if several else message
    raise UsageError(message) if status == 2 else JobFailed(message)


def parse_sweep(specs: Sequence[str], flags: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """`FIELD=V1,V2` (or `FIELD=A;B` when values hold commas, e.g. milestone lists) -> the grid points."""
    axes: list[list[str]] = []
    seen: set[str] = set()
    for spec in specs:
        match = _FIELD.match(spec.strip())
        if not match:
            raise UsageError(f"--sweep {spec!r}: write FIELD=V1,V2 (e.g. --sweep init_density=0.1,0.05)")
        field, text = match.groups()
        if field in NOT_SWEPT:
            raise UsageError(f"--sweep {field}: not a grid field ({NOT_SWEPT[field]})")
        if field in seen:
            raise UsageError(f"--sweep {field} is given twice; list all its values in one --sweep")
        if pre_read(flags, field) is not None:
            raise UsageError(f"--{field} is given both as a flag and in --sweep; keep one")
        values = [v.strip() for v in text.split(";" if ";" in text else ",")]
        if not all(values):
            raise UsageError(f"--sweep {spec!r}: empty value; write FIELD=V1,V2")
        if len(set(values)) != len(values):
            raise UsageError(f"--sweep {field}: a value is listed twice in {text!r}")
        seen.add(field)
        axes.append([f"--{field}={v}" for v in values])
    return tuple(tuple(p) for p in itertools.product(*axes)) if axes else ((),)


def expand(command: str, argv: Sequence[str], branch: bool = False) -> Expansion:
    """Split the expansion flags from the command's own; `branch`: `--levels` lists independent jobs."""
    probe = OneLineParser(prog=f"main.py {command}", add_help=False)
    probe.add_argument("--sweep", action="append", default=[])
    probe.add_argument("--replicates", default=None)
    for name in ("replicate", "workers", "workers_per_gpu"):
        probe.add_argument(f"--{name}", type=number_flag(int), default=None)
    probe.add_argument("--print_path", nargs="?", const="true", default="false")
    known, rest = probe.parse_known_args(list(argv))
    replicates = PlatformHparams(replicates=known.replicates).replicate_list()
    if replicates is not None and known.replicate is not None:
        raise UsageError("give --replicate=N or --replicates=LIST, not both")
    if replicates is None:
        replicates = [known.replicate if known.replicate is not None else 1]
    for name in ("workers", "workers_per_gpu"):
        value = getattr(known, name)
        if value is not None and not 1 <= value <= 1024:
            raise UsageError(f"--{name} must be in 1..1024, got {value}")
    if known.workers_per_gpu is not None and known.workers is None:
        raise UsageError("--workers_per_gpu shares GPUs between --workers=N processes; give --workers too")
    if known.workers is not None and not branch and not known.sweep and known.replicates is None:
        raise UsageError("--workers runs several jobs at once: give --replicates or --sweep too "
                         f"(`{command}` alone is one job)")
    points = parse_sweep(known.sweep, rest)
    levels = None
    if branch and known.workers is not None:
        levels = tuple(parse_levels(pre_read(rest, "levels") or "0"))
    print_path = str(known.print_path).strip().lower() in ("1", "true", "yes", "on")
    given = bool(known.sweep) or known.replicates is not None or known.workers is not None
    return Expansion(command, tuple(rest), points, tuple(replicates), levels, known.workers,
                     known.workers_per_gpu, print_path, given)
