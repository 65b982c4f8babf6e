"""Shared pieces of the density rules: rule(shapes, density, *, order, output_layer, options) -> {name: d_n}
with sum(d_n * numel_n) == density * total (except rules publishing less: the caller keeps the rounded sum)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from sparselab.core.errors import UsageError

Shapes = Mapping[str, Sequence[int]]
OUTPUT_FLOOR = 0.2  # uniform_plus and erk_plus keep the output layer at least this dense


@dataclass(frozen=True)
class RuleOptions:
    """Knobs of the density rules; the defaults are the project's earlier rules (`prune.rule_options` passes published ones)."""
    erk_power: float = 1.0
    fc_density: float | None = None    # erk_plus: fixed output density; None = ERK but at least output_floor
    output_floor: float = OUTPUT_FLOOR
    balanced_redistribute: bool = True  # balanced: hand the capped share to the other tensors (exact total)
    layer_ratios: tuple[tuple[str, float], ...] = ()  # str_induced_er: (tensor, density found by STR)
    ratio_total: float | None = None  # str_induced_er: the STR run's overall density


DensityRule = Callable[..., dict[str, float]]


def numel(shape: Sequence[int]) -> int:
    return int(math.prod(shape))


def check_density(rule: str, density: float) -> None:
    if not 0 < density <= 1:
        raise UsageError(f"density rule {rule!r}: density must be in (0, 1], got {density}")


def ordered(shapes: Shapes, order: Sequence[str]) -> list[str]:
    """The names of `shapes` in module order (names missing from `order` go last, in their own order)."""
    known = [n for n in order if n in shapes]
    return known + [n for n in shapes if n not in set(known)]


def first_layer(shapes: Shapes, order: Sequence[str]) -> str | None:
    """The network's first prunable tensor if it is one of `shapes` (an ignored first layer is None)."""
    if order:
        return order[0] if order[0] in shapes else None
    return next(iter(shapes), None)


def scaled_density(rule: str, shapes: Shapes, density: float, raw: Mapping[str, float],
                   fixed: Mapping[str, float] | None = None) -> dict[str, float]:
    """d_n = eps * raw_n, one eps for an exact total; tensors above 1 made dense and eps re-solved (RigL / ER)."""
    fixed = dict(fixed or {})
    total = sum(numel(s) for s in shapes.values())
    dense: set[str] = set()
    while True:
        rest = [n for n in shapes if n not in fixed and n not in dense]
        budget = (density * total - sum(d * numel(shapes[n]) for n, d in fixed.items())
                  - sum(numel(shapes[n]) for n in dense))
        if not rest:
            break
        if budget <= 0:
            raise UsageError(f"density rule {rule!r} cannot reach density {density}: the fixed and dense "
                             f"tensors already hold more than the budget")
        eps = budget / sum(raw[n] * numel(shapes[n]) for n in rest)
        over = {n for n in rest if eps * raw[n] > 1 + 1e-12}
        if not over:
            break
        dense |= over
    out = {n: 1.0 for n in dense}
    out.update(fixed)
    if rest:
        out.update({n: min(1.0, eps * raw[n]) for n in rest})
    return out
