"""Step flags in their canonical spelling, resolved before hashing from the nominal epoch length (`4ep` and
`92it` hash alike); data with another epoch length is refused when a spelling was converted."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Mapping, Sequence

from sparselab.data.hparams import DatasetHparams
from sparselab.core.errors import UsageError
from sparselab.core.hparams import Hparams
from sparselab.core.step import parse_iterations, parse_step_list


@dataclass
class ResolvedSteps:
    nominal_ipe: int | None
    converted: bool = False  # some spelling changed unit using nominal_ipe
    bundles: list[Hparams] = field(default_factory=list)

    def add(self, bundle: Hparams) -> Hparams:
        canonical = bundle.with_canonical_steps(self.nominal_ipe)
        if self.nominal_ipe is not None and canonical != bundle.with_canonical_steps(None):
            self.converted = True
        self.bundles.append(canonical)
        return canonical

    def check_data(self, data_ipe: int, dataset_name: str) -> None:
        if data_ipe == self.nominal_ipe:
            return
        if self.converted:
            raise UsageError(f"the {dataset_name} training set read has {data_ipe} iterations per epoch, not the "
                             f"standard {self.nominal_ipe}: spell every step in the unit you mean (all in ep or "
                             "all in it) for a non-standard copy of the dataset")
        for b in self.bundles:
            b.validate_steps(data_ipe)


@dataclass(frozen=True)
class Schedule:
    """Every step flag of a job's bundles in iterations (a list flag: sorted tuple; None: absent);
    `given`: the flags typed on the command line."""

    iterations_per_epoch: int
    points: Mapping[str, Any]
    given: frozenset[str] = frozenset()

    @classmethod
    def resolve(cls, iterations_per_epoch: int, *bundles: Hparams | None) -> "Schedule":
        points: dict[str, Any] = {}
        given: set[str] = set()
        for b in bundles:
            for f in dataclasses.fields(b) if b is not None else ():
                value, kind = getattr(b, f.name), f.metadata.get("step")
                if kind is None or value is None:
                    continue
                assert f.name not in points, f"two bundles name the step --{f.name}"
                parse = partial(parse_iterations, iterations_per_epoch=iterations_per_epoch, flag=f"--{f.name}")
                points[f.name] = parse(value) if kind == "one" else \
                    tuple(sorted(parse(s) for s in parse_step_list(value, f"--{f.name}")))
                if b.given(f.name):
                    given.add(f.name)
        return cls(iterations_per_epoch, points, frozenset(given))

    def __getitem__(self, flag: str) -> Any:
        return self.points[flag]

    def get(self, flag: str, default: Any = None) -> Any:
        return self.points.get(flag, default)

    @property
    def end(self) -> int:
        return self.points["training_steps"]


def check_dst_steps(training: Hparams, dst: Hparams | None, ipe: int | None) -> None:
    if ipe is None or dst is None or not dst.enabled:
        return
    from sparselab.sparsity.dst.plan import DSTPlan

    schedule = Schedule.resolve(ipe, training, dst)
    for name in ("dst_end", "dst_prune_start", "dst_prune_end"):
        if name in schedule.given and schedule.get(name, -1) > schedule.end:
            raise UsageError(f"--{name}={getattr(dst, name)} is after the end of training ({training.training_steps} = "
                             f"{schedule.end} iterations; {ipe} iterations per epoch)")
    DSTPlan.from_hparams(dst, total_iterations=schedule.end, iterations_per_epoch=ipe, seed=0)  # its own checks


def resolve_steps(owner: Any, names: Sequence[str], dataset: DatasetHparams) -> ResolvedSteps:
    ipe = dataset.nominal_iterations_per_epoch()
    resolved = ResolvedSteps(ipe)
    for name in names:
        b = getattr(owner, name)
        if b is None:
            continue
        setattr(owner, name, resolved.add(b))
    return resolved
