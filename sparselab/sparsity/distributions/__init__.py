"""Density rules: name -> rule(shapes, density, *, order, output_layer, options) -> {name: density}.

These are the jaxpruner-style allocations (pure functions of shapes). The other two allocations,
`global` (one threshold over all candidates) and `layerwise` (the same fraction of every tensor's
remaining weights), depend on scores and current counts and live in `pruning.allocate`.

Adding a rule: one file with `rule(...)` and one line below.
"""
from __future__ import annotations

from sparselab.sparsity.distributions import balanced, er, erk, erk_plus, pyramidal, uniform, uniform_plus
from sparselab.sparsity.distributions.base import DensityRule, RuleOptions

DENSITY_RULES: dict[str, DensityRule] = {
    "uniform": uniform.rule,
    "uniform_plus": uniform_plus.rule,
    "er": er.rule,
    "erk": erk.rule,
    "erk_plus": erk_plus.rule,
    "balanced": balanced.rule,
    "pyramidal": pyramidal.rule,
}

__all__ = ["DENSITY_RULES", "DensityRule", "RuleOptions"]
