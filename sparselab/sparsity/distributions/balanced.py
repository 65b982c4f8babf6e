"""Balanced (Gadhikar et al. 2023): every tensor keeps X = density * N / L weights, d_n = min(1, X / N_n). As
published the capped share is lost (WRN-28-10 @ 0.2 -> 0.1625); `balanced_redistribute` solves X exactly."""
from __future__ import annotations

from sparselab.sparsity.distributions.base import RuleOptions, Shapes, check_density, numel


def rule(shapes: Shapes, density: float, *, order=(), output_layer=None,
         options: RuleOptions = RuleOptions()) -> dict[str, float]:
    check_density("balanced", density)
    sizes = {n: numel(s) for n, s in shapes.items()}
    budget = density * sum(sizes.values())
    if not options.balanced_redistribute:
        per_tensor = budget / len(sizes) if sizes else 0.0
        return {n: min(1.0, per_tensor / sizes[n]) for n in sizes}
    remaining = list(sorted(sizes, key=lambda n: sizes[n]))
    per_tensor = 0.0
    while remaining:
        per_tensor = budget / len(remaining)
        smallest = remaining[0]
        if per_tensor < sizes[smallest]:
            break
        budget -= sizes[smallest]
        remaining.pop(0)
    return {n: min(1.0, per_tensor / sizes[n]) if n in remaining else 1.0 for n in sizes}
