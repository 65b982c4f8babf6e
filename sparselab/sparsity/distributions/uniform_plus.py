"""Uniform+ (Gale et al. 2019) as Random_Pruning's CIFAR code: first layer dense; below 0.2 the output layer
at 0.2, the others (B - N_out * 0.2) / T with T ALL counted weights (realised slightly below d); from 0.2
on every tensor but the first at d (slightly above)."""
from __future__ import annotations

from sparselab.core.errors import UsageError
from sparselab.sparsity.distributions.base import RuleOptions, Shapes, check_density, first_layer, numel


def rule(shapes: Shapes, density: float, *, order=(), output_layer=None,
         options: RuleOptions = RuleOptions()) -> dict[str, float]:
    check_density("uniform_plus", density)
    total = sum(numel(s) for s in shapes.values())
    fixed: dict[str, float] = {}
    first = first_layer(shapes, order)
    budget = density * total
    if first is not None:
        fixed[first] = 1.0
        budget -= numel(shapes[first])
    if density >= options.output_floor:
        return {n: fixed.get(n, density) for n in shapes}
    if output_layer in shapes and output_layer not in fixed:
        fixed[output_layer] = options.output_floor
        budget -= options.output_floor * numel(shapes[output_layer])
    rest = budget / total  # the seed divides by the whole size, not by the rest's
    if not 0 < rest <= 1:
        raise UsageError(f"density rule 'uniform_plus' cannot reach density {density}: the dense first layer and "
                         f"the output layer at {options.output_floor} leave {rest:.6g} for the others")
    return {n: fixed.get(n, rest) for n in shapes}
