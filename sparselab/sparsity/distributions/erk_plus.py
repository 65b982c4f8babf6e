"""ERK+ (Liu et al. 2022): ERK with the output layer at `fc_density` (bundles: 1 = dense); None (earlier
rule): its ERK density but at least 20 %."""
from __future__ import annotations

from sparselab.sparsity.distributions.base import RuleOptions, Shapes, check_density, scaled_density
from sparselab.sparsity.distributions.erk import raw_scores


def rule(shapes: Shapes, density: float, *, order=(), output_layer=None,
         options: RuleOptions = RuleOptions()) -> dict[str, float]:
    check_density("erk_plus", density)
    raw = raw_scores(shapes, options.erk_power)
    if output_layer not in shapes:
        return scaled_density("erk_plus", shapes, density, raw)
    if options.fc_density is not None:
        return scaled_density("erk_plus", shapes, density, raw, fixed={output_layer: options.fc_density})
    densities = scaled_density("erk_plus", shapes, density, raw)
    if densities[output_layer] < options.output_floor:
        densities = scaled_density("erk_plus", shapes, density, raw, fixed={output_layer: options.output_floor})
    return densities
