"""Pyramidal (Gadhikar et al. 2023): the l-th tensor in module order (l = 1..L) keeps density r^l,
with r in (0, 1] solved by bisection so that sum_l N_l r^l equals the target count."""
from __future__ import annotations

from sparselab.sparsity.distributions.base import RuleOptions, Shapes, check_density, numel, ordered


def rule(shapes: Shapes, density: float, *, order=(), output_layer=None,
         options: RuleOptions = RuleOptions()) -> dict[str, float]:
    check_density("pyramidal", density)
    names = ordered(shapes, order)
    sizes = [numel(shapes[n]) for n in names]
    target = density * sum(sizes)

    def kept(r: float) -> float:
        return sum(size * r ** (l + 1) for l, size in enumerate(sizes))

    lo, hi = 0.0, 1.0
    if density < 1:
        for _ in range(200):
            mid = (lo + hi) / 2
            if kept(mid) < target:
                lo = mid
            else:
                hi = mid
    r = hi
    return {n: r ** (l + 1) for l, n in enumerate(names)}
