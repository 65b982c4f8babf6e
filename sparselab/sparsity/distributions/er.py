"""ER (Mocanu et al. 2018): density proportional to (n_in + n_out) / (n_in * n_out) from the first two
dimensions only (kernel size ignored), raised to `erk_power`, solved like ERK."""
from __future__ import annotations

from sparselab.sparsity.distributions.base import RuleOptions, Shapes, check_density, scaled_density


def raw_scores(shapes: Shapes, power: float) -> dict[str, float]:
    out = {}
    for name, shape in shapes.items():
        n_out = shape[0]
        n_in = shape[1] if len(shape) > 1 else 1
        out[name] = ((n_out + n_in) / (n_out * n_in)) ** power
    return out


def rule(shapes: Shapes, density: float, *, order=(), output_layer=None,
         options: RuleOptions = RuleOptions()) -> dict[str, float]:
    check_density("er", density)
    return scaled_density("er", shapes, density, raw_scores(shapes, options.erk_power))
