"""DST schedules of the absolute iteration: drop fraction p(t) from p0 to 0 at `end` (cosine as RigL/SET,
linear, constant as EDST) and GraNet's cubic density d_f + (d_i - d_f) (1 - progress)^3."""
from __future__ import annotations

import math
from typing import Callable

DropSchedule = Callable[[float, int, int], float]


def _cosine(p0: float, t: int, end: int) -> float:
    return p0 * 0.5 * (1.0 + math.cos(math.pi * t / end))


def _linear(p0: float, t: int, end: int) -> float:
    return p0 * (1.0 - t / end)


def _constant(p0: float, t: int, end: int) -> float:
    return p0


DROP_SCHEDULES: dict[str, DropSchedule] = {"cosine": _cosine, "linear": _linear, "constant": _constant}


def drop_fraction(schedule: str, p0: float, iteration: int, end: int) -> float:
    """p(iteration) of `schedule`; 0 at and after `end`."""
    if iteration >= end or end <= 0:
        return 0.0
    return max(0.0, DROP_SCHEDULES[schedule](p0, max(0, iteration), end))


def cubic_density(iteration: int, start: int, end: int, initial: float, final: float) -> float:
    """GraNet's target density at `iteration` (`initial` before `start`, `final` from `end` on)."""
    if end <= start:
        return final if iteration >= end else initial
    progress = min(1.0, max(0.0, (iteration - start) / (end - start)))
    return final + (initial - final) * (1.0 - progress) ** 3
