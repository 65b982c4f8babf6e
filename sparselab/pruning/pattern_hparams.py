"""`--sparsity_pattern`: the N:M mask constraint (bundle). Default none: no constraint, old hashes unchanged."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from sparselab.foundations.hparams import Hparams, hparam
from sparselab.pruning.pattern import Pattern, parse_pattern

PATTERN_HELP = (
    "N:M semi-structured sparsity (e.g. 2:4, 4:8): every group of M consecutive weights along the INPUT "
    "dimension of each output unit (Linear: in-features, as NVIDIA's 2:4; Conv2d: the flattened "
    "in_channels*kh*kw of each filter) keeps at most N. Applies to pruning at initialisation (needs "
    "--init_density <= N/M), DST growth, one-shot pruning and the pruning levels: a level applies it once its "
    "density is <= N/M (earlier levels are unstructured); inside a group the top-N by the score, then the "
    "allocation on those")


@dataclasses.dataclass(frozen=True)
class PatternHparams(Hparams):
    _group: ClassVar[str] = "Sparsity pattern"
    sparsity_pattern: str | None = hparam(None, PATTERN_HELP)

    def validate(self) -> None:
        parsed = parse_pattern(self.sparsity_pattern)
        if parsed is not None:
            object.__setattr__(self, "sparsity_pattern", f"{parsed[0]}:{parsed[1]}")

    @property
    def pattern(self) -> Pattern | None:
        return parse_pattern(self.sparsity_pattern)

    @property
    def max_density(self) -> float:
        """N/M (1 without a pattern): a mask at most this dense is kept N:M (DST growth included)."""
        p = self.pattern
        return p[0] / p[1] if p else 1.0


def pattern_moot(init: Hparams, ensemble: bool = False) -> dict[str, str]:
    """`not_here` for --sparsity_pattern in `train`: it constrains the mask of pruning at initialisation
    (which DST then moves), so it needs --init_density, and is not for ensembles."""
    if ensemble:
        return {"sparsity_pattern": "not for --ensemble runs"}
    if getattr(init, "init_density", None) is None:
        return {"sparsity_pattern": "train has no mask to constrain without --init_density"}
    return {}
