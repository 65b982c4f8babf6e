"""Balanced (Gadhikar et al. 2023): every tensor keeps the same number of weights X, capped at dense;
X is solved exactly (the capped excess goes to the other tensors) so the total hits the target."""
from __future__ import annotations

from pruning.distributions.base import RuleOptions, Shapes, check_density, numel


def rule(shapes: Shapes, density: float, *, order=(), output_layer=None,
         options: RuleOptions = RuleOptions()) -> dict[str, float]:
    check_density("balanced", density)
    sizes = {n: numel(s) for n, s in shapes.items()}
    budget = density * sum(sizes.values())
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
