"""Schedules of dynamic sparse training as pure functions of the absolute iteration.

Drop fraction p(t) (the share of a layer's active weights replaced at an update), from p0 at
iteration 0 to 0 at `end`:
  cosine    p0 * (1 + cos(pi t / end)) / 2      (RigL, SET as in the FreeTickets code)
  linear    p0 * (1 - t / end)
  constant  p0                                  (FreeTickets' EDST recipe)
and p(t) = 0 for t >= end, where updates stop.

GraNet density (Zhu & Gupta cubic), from d_i at `start` to d_f at `end`:
  d(t) = d_f + (d_i - d_f) * (1 - clip((t - start) / (end - start), 0, 1))^3
"""
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
