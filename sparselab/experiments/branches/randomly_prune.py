"""`randomly_prune`: the level's weights under a random mask. `layerwise` keeps every tensor's density of the trunk
mask, `global` only the total, `even` gives every tensor the total, a density rule (er, erk, ...) distributes it."""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from sparselab.experiments.branches.base import Branch, BranchContext, saved_or, train_branch_level, trunk_mask
from sparselab.core.hparams import Hparams, hparam
from sparselab.core.seeds import derive_seed
from sparselab.experiments.lottery import starts
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune_to_density
from sparselab.sparsity.hparams import DISTRIBUTIONS

# strategy -> (allocation of pruning/, whether each tensor keeps its trunk density)
STRATEGIES: dict[str, tuple[str, bool]] = {
    "layerwise": ("global", True),
    "global": ("global", False),
    "even": ("uniform", False),
    **{rule: (rule, False) for rule in DISTRIBUTIONS if rule not in ("global", "layerwise", "uniform")},
}


@dataclasses.dataclass(frozen=True)
class RandomlyPruneHparams(Hparams):
    _group: ClassVar[str] = "Branch randomly_prune"
    strategy: str = hparam("layerwise", "which densities the random mask keeps", choices=tuple(STRATEGIES))
    start_at: str = hparam("rewind", "weights to mask: the level's start point, the init, or its final weights",
                           choices=("rewind", "init", "end"))
    seed: int | None = hparam(None, "seed of the random mask (default: derived from replicate and level)")


class RandomlyPrune(Branch):
    name: ClassVar[str] = "randomly_prune"
    description: ClassVar[str] = "the level's weights under a random mask of chosen per-layer densities"
    bundle = RandomlyPruneHparams

    @classmethod
    def random_mask(cls, ctx: BranchContext, h: RandomlyPruneHparams) -> Mask:
        trunk = ctx.trunk
        level_mask = trunk_mask(trunk, ctx.level)
        model = trunk.build_model(seed=0)
        seed = h.seed if h.seed is not None else derive_seed("randomly_prune", trunk.job_args.replicate, ctx.level)
        distribution, keep_layer_densities = STRATEGIES[h.strategy]
        fixed = {n: int(m.sum()) / m.numel() for n, m in level_mask.items()} if keep_layer_densities else None
        ones = Mask.ones_like(model, ignore=trunk.pruning.layers_to_ignore)
        return prune_to_density(model, ones, level_mask.density, "random", distribution,
                                ScoreContext(seed=seed, level=ctx.level), fixed=fixed)

    @classmethod
    def run_level(cls, ctx: BranchContext) -> dict[str, Any]:
        h: RandomlyPruneHparams = ctx.hparams["branch"]  # type: ignore[assignment]
        trunk = ctx.trunk
        mask = saved_or(ctx, lambda: cls.random_mask(ctx, h))
        training, start = starts.schedule(trunk, ctx.level)
        if h.start_at == "init":
            state, start = starts.fresh_init(trunk, 0), 0
        elif h.start_at == "end":
            state = trunk.store.final_weights(ctx.level)
        else:
            state = starts.branch_start(trunk, ctx.level)
        return train_branch_level(ctx, state, mask, training, start)
