"""Density rules (pure functions of shapes); `global` and `layerwise` live in `sparsity/allocate.py`."""
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
