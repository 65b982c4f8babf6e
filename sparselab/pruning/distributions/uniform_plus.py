"""Uniform+ (Gale et al. 2019): the first layer dense, the output layer at least 20 % dense, every
other tensor one common density solved exactly so the total hits the target."""
from __future__ import annotations

from sparselab.pruning.distributions.base import RuleOptions, Shapes, check_density, common_density, first_layer


def rule(shapes: Shapes, density: float, *, order=(), output_layer=None,
         options: RuleOptions = RuleOptions()) -> dict[str, float]:
    check_density("uniform_plus", density)
    fixed: dict[str, float] = {}
    first = first_layer(shapes, order)
    if first is not None:
        fixed[first] = 1.0
    densities = common_density("uniform_plus", shapes, density, fixed)
    if output_layer in shapes and output_layer not in fixed and densities[output_layer] < options.output_floor:
        fixed[output_layer] = options.output_floor
        densities = common_density("uniform_plus", shapes, density, fixed)
    return densities
