"""Every tensor at the target density."""
from __future__ import annotations

from sparselab.sparsity.distributions.base import RuleOptions, Shapes, check_density


def rule(shapes: Shapes, density: float, *, order=(), output_layer=None,
         options: RuleOptions = RuleOptions()) -> dict[str, float]:
    check_density("uniform", density)
    return {name: density for name in shapes}
