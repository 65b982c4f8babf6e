"""`DSTPlan`: the DST flags resolved to iterations; when and how much to update. Schedules of the absolute
iteration: drop fraction p(t) from p0 to 0 at `end` (cosine as RigL/SET, linear, constant as EDST) and
GraNet's cubic density d_f + (d_i - d_f) (1 - progress)^3."""
from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Callable, Iterable

from sparselab.core.errors import UsageError
from sparselab.core.step import parse_iterations
from sparselab.sparsity.dst.methods import DST_METHODS, DSTMethod

if TYPE_CHECKING:  # dst_hparams reads the method registry of this package: no import at run time
    from sparselab.sparsity.dst_hparams import DSTHparams

DEFAULT_END_FRACTION = 0.75  # RigL stops updating at 75 % of training
DropSchedule = Callable[[float, int, int], float]


def _cosine(p0: float, t: int, end: int) -> float:
    return p0 * 0.5 * (1.0 + math.cos(math.pi * t / end))


def _linear(p0: float, t: int, end: int) -> float:
    return p0 * (1.0 - t / end)


def _constant(p0: float, t: int, end: int) -> float:
    return p0


DROP_SCHEDULES: dict[str, DropSchedule] = {"cosine": _cosine, "linear": _linear, "constant": _constant}


def drop_fraction(schedule: str, p0: float, iteration: int, end: int) -> float:
    if iteration >= end or end <= 0:
        return 0.0
    return max(0.0, DROP_SCHEDULES[schedule](p0, max(0, iteration), end))


def cubic_density(iteration: int, start: int, end: int, initial: float, final: float) -> float:
    """GraNet's target density at `iteration` (`initial` before `start`, `final` from `end` on)."""
    if end <= start:
        return final if iteration >= end else initial
    progress = min(1.0, max(0.0, (iteration - start) / (end - start)))
    return final + (initial - final) * (1.0 - progress) ** 3


@dataclasses.dataclass(frozen=True)
class DSTPlan:
    """The DST hook's plan in absolute iterations; `forced`: extra (iteration, fraction) updates (EDST)."""

    method: str
    update_frequency: int
    drop_fraction: float
    drop_schedule: str = "cosine"
    end: int = 0
    redistribute: bool = False
    seed: int = 0
    momentum_beta: float = 0.9
    init_density: float | None = None
    final_density: float | None = None
    prune_start: int = 0
    prune_end: int = 0
    forced: tuple[tuple[int, float], ...] = ()
    pattern: tuple[int, int] | None = None  # N:M growth constraint (`pruning.pattern`)

    def __post_init__(self) -> None:
        if self.method not in DST_METHODS:
            raise UsageError(f"--dst: unknown method {self.method!r}; choose from {', '.join(DST_METHODS)}")
        if self.update_frequency < 1:
            raise UsageError(f"--dst_update_frequency must be >= 1 iteration, got {self.update_frequency}")
        if self.prunes and self.prune_end < self.prune_start:
            raise UsageError(f"--dst_prune_end (iteration {self.prune_end}) is before --dst_prune_start "
                             f"(iteration {self.prune_start})")

    @classmethod
    def from_hparams(cls, h: DSTHparams, *, total_iterations: int, iterations_per_epoch: int, seed: int,
                     momentum_beta: float = 0.9, default_end: int | None = None,
                     forced: Iterable[tuple[int, float]] = ()) -> "DSTPlan":
        """Resolve the step strings; `--dst_end` defaults to `default_end`, else 75 % of training."""
        assert h.dst is not None, "DST is not enabled"
        ipe = iterations_per_epoch
        if h.dst_end is not None:
            end = parse_iterations(h.dst_end, ipe, "--dst_end")
        elif default_end is not None:
            end = default_end
        else:
            end = round(DEFAULT_END_FRACTION * total_iterations)
        prune_start = parse_iterations(h.dst_prune_start, ipe, "--dst_prune_start")
        prune_end = parse_iterations(h.dst_prune_end, ipe, "--dst_prune_end") if h.dst_prune_end else end
        return cls(method=h.dst, update_frequency=h.dst_update_frequency, drop_fraction=h.dst_drop_fraction,
                   drop_schedule=h.dst_drop_schedule, end=end, redistribute=h.dst_redistribute, seed=seed,
                   momentum_beta=momentum_beta, init_density=h.dst_init_density,
                   final_density=h.dst_final_density, prune_start=prune_start, prune_end=prune_end,
                   forced=tuple(sorted(forced)))

    @property
    def spec(self) -> DSTMethod:
        return DST_METHODS[self.method]

    @property
    def prunes(self) -> bool:
        return self.spec.prunes

    def periodic(self, iteration: int) -> bool:
        return iteration > 0 and iteration % self.update_frequency == 0

    def is_update(self, iteration: int) -> bool:
        return self.periodic(iteration) or any(t == iteration for t, _ in self.forced)

    def fraction(self, iteration: int) -> float:
        for t, value in self.forced:
            if t == iteration:
                return value
        if not self.periodic(iteration):
            return 0.0
        return drop_fraction(self.drop_schedule, self.drop_fraction, iteration, self.end)

    def target_density(self, iteration: int, start_density: float) -> float | None:
        """GraNet's scheduled density at `iteration` (None when this plan does not prune or not yet)."""
        if not self.prunes or not self.periodic(iteration) or iteration < self.prune_start:
            return None
        assert self.final_density is not None
        initial = self.init_density if self.init_density is not None else start_density
        return cubic_density(iteration, self.prune_start, self.prune_end, initial, self.final_density)
