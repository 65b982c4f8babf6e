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
    """Knobs of the density rules. These defaults are the project's earlier rules (branches that build
    RuleOptions() keep their meaning); the bundles pass the published values through the one builder
    `pruning.prune.rule_options` (levels and pruning at initialisation)."""
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


def common_density(rule: str, shapes: Shapes, density: float, fixed: Mapping[str, float]) -> dict[str, float]:
    """Tensors in `fixed` get their density; all others one common density so the total is exact."""
    total = sum(numel(s) for s in shapes.values())
    rest = [n for n in shapes if n not in fixed]
    budget = density * total - sum(d * numel(shapes[n]) for n, d in fixed.items())
    if not rest:
        return dict(fixed)
    size = sum(numel(shapes[n]) for n in rest)
    c = budget / size
    if not 0 < c <= 1 + 1e-12:
        raise UsageError(f"density rule {rule!r} cannot reach density {density}: the tensors with fixed "
                         f"densities ({', '.join(fixed)}) need {c:.6g} for the others (must be in (0, 1])")
    return {**fixed, **{n: min(1.0, c) for n in rest}}


def scaled_density(rule: str, shapes: Shapes, density: float, raw: Mapping[str, float],
                   fixed: Mapping[str, float] | None = None) -> dict[str, float]:
    """d_n = eps * raw_n with one global eps so the total is exact; a tensor whose density would exceed
    1 is made dense and eps re-solved, until none exceeds 1 (the RigL / ER solver)."""
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
