"""ERK (Evci et al. 2020): density proportional to (sum(dims) / prod(dims)) ** erk_power, solved exactly."""
from __future__ import annotations

import math

from sparselab.sparsity.distributions.base import RuleOptions, Shapes, check_density, scaled_density


def raw_scores(shapes: Shapes, power: float) -> dict[str, float]:
    return {n: (sum(s) / math.prod(s)) ** power for n, s in shapes.items()}


def rule(shapes: Shapes, density: float, *, order=(), output_layer=None,
         options: RuleOptions = RuleOptions()) -> dict[str, float]:
    check_density("erk", density)
    return scaled_density("erk", shapes, density, raw_scores(shapes, options.erk_power))
