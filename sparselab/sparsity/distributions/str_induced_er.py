"""STR-induced ER (Gadhikar et al. 2023): d_n = s_n * density / s from a finished STR run; a tensor above 1
is dense and its excess is not handed on, as published."""
from __future__ import annotations

from sparselab.core.errors import UsageError
from sparselab.sparsity.distributions.base import RuleOptions, Shapes, check_density


def rule(shapes: Shapes, density: float, *, order=(), output_layer=None,
         options: RuleOptions = RuleOptions()) -> dict[str, float]:
    check_density("str_induced_er", density)
    ratios = dict(options.layer_ratios)
    if not ratios or not options.ratio_total:
        raise UsageError("str_induced_er needs the layer densities of an STR run (--str_ratios_from, pruning at "
                         "initialisation only)")
    missing = [n for n in shapes if n not in ratios]
    if missing:
        raise UsageError(f"str_induced_er: the STR run has no density for {', '.join(missing)} (another model?)")
    out = {n: min(1.0, ratios[n] * density / options.ratio_total) for n in shapes}
    empty = [n for n, d in out.items() if d <= 0]
    if empty:
        raise UsageError(f"str_induced_er: the STR run pruned {', '.join(empty)} entirely")
    return out
