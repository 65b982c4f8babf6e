"""`--sparsity_pattern`: the N:M mask constraint (bundle). Default none: old hashes unchanged."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from sparselab.core.hparams import Hparams, hparam
from sparselab.core.when import given, unset
from sparselab.sparsity.pattern import Pattern, parse_pattern

PATTERN_HELP = (
    "N:M semi-structured sparsity (e.g. 2:4, 4:8): every group of M consecutive weights along the INPUT dimension "
    "(Linear: in-features of each output unit, as NVIDIA's 2:4; Conv2d: the input channels at each (output channel, "
    "kh, kw), the layout sparse tensor cores use) keeps at most N. Applies to pruning at initialisation (needs "
    "--init_density <= N/M), DST growth, one-shot pruning and the pruning levels: a level applies it once its density "
    "is <= N/M (earlier levels are unstructured); inside a group the top-N by the score, then the allocation on those")


@dataclasses.dataclass(frozen=True)
class PatternHparams(Hparams):
    _group: ClassVar[str] = "Sparsity pattern"
    sparsity_pattern: str | None = hparam(None, PATTERN_HELP)

    def canonical(self) -> dict:
        """Conv groups were once in*kh*kw: a marker keeps those directories from being reused."""
        out = super().canonical()
        if self.sparsity_pattern is not None:
            out["pattern_groups"] = "input_channels"
        return out

    def validate(self) -> None:
        parsed = parse_pattern(self.sparsity_pattern)
        if parsed is not None:
            object.__setattr__(self, "sparsity_pattern", f"{parsed[0]}:{parsed[1]}")

    @property
    def pattern(self) -> Pattern | None:
        return parse_pattern(self.sparsity_pattern)

    def at(self, density: float) -> Pattern | None:
        """The pattern a mask of this density keeps (DST growth in a level): none above N/M."""
        p = self.pattern
        return p if p is not None and density <= p[0] / p[1] + 1e-12 else None


# In `train`, --sparsity_pattern constrains the mask of pruning at initialisation (which DST then moves):
# it exists only with --init_density, and not for ensembles.
TRAIN_PATTERN = {"sparsity_pattern": (given("init_density"), unset("ensemble"))}


def check_trunk_pattern(pattern: PatternHparams, init: Hparams, pruning: Hparams, branch_owned: bool) -> None:
    """An iterative run's pattern must suit pruning at init (unless a branch's own) and is refused for channels."""
    if pattern.pattern is None:
        return
    from sparselab.core.errors import UsageError
    from sparselab.sparsity.init import check_init_pattern

    if getattr(init, "enabled", False) and not branch_owned:
        check_init_pattern(init, pattern.pattern)  # type: ignore[arg-type]
    if getattr(pruning, "is_channel_strategy", False):
        raise UsageError("--sparsity_pattern constrains single weights; channel pruning "
                         f"({pruning.pruning_strategy}) removes whole filters")
