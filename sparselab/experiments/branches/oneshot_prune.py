"""`oneshot_prune`: prune the trunk's dense level-0 final weights once to density (1-p)^L, then retrain
with the trunk's retraining policy (lottery: rewind point; rewindLR/finetune: the dense final weights;
scratch: a fresh initialisation)."""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from sparselab.experiments.branches.base import Branch, BranchContext, saved_or, train_branch_level
from sparselab.core.hparams import Hparams, hparam
from sparselab.experiments.lottery import starts
from sparselab.experiments.lottery.trunk import Trunk
from sparselab.train import sparsity
from sparselab.core.errors import UsageError
from sparselab.sparsity.hparams import CHANNEL_SCORES, DISTRIBUTIONS, SCORES
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.pattern import check_density
from sparselab.sparsity.prune import prune_to_density, rule_options


@dataclasses.dataclass(frozen=True)
class OneshotPruneHparams(Hparams):
    _group: ClassVar[str] = "Branch oneshot_prune"
    oneshot_strategy: str | None = hparam(None, "score (default: the trunk's --pruning_strategy)", choices=SCORES)
    oneshot_distribution: str | None = hparam(None, "allocation (default: the trunk's --pruning_distribution)",
                                              choices=DISTRIBUTIONS)


class OneshotPrune(Branch):
    name: ClassVar[str] = "oneshot_prune"
    on_dense_trunk: ClassVar[bool] = True
    description: ClassVar[str] = "prune the dense level-0 network once to the density of level L and retrain"
    bundle = OneshotPruneHparams

    @classmethod
    def validate_levels(cls, trunk: Trunk, hparams: Any, levels: list[int]) -> None:
        """--sparsity_pattern N:M: every level's density (1-p)^L must be <= N/M; no channel scores."""
        h = hparams["branch"]
        if (h.oneshot_strategy or trunk.pruning.pruning_strategy) in CHANNEL_SCORES:
            raise UsageError("oneshot_prune prunes single weights; channel pruning runs as pruning levels "
                             "(lottery --pruning_strategy=filter_l1 ...)")
        for level in levels:
            check_density(trunk.pattern.pattern, (1 - trunk.pruning.pruning_fraction) ** level,
                          f"the density (1-p)^L of level {level}")

    @classmethod
    def oneshot_mask(cls, ctx: BranchContext, h: OneshotPruneHparams) -> Mask:
        trunk = ctx.trunk
        dense = trunk.model_with(trunk.store.final_weights(0))
        ones = Mask.ones_like(dense, ignore=trunk.pruning.layers_to_ignore)
        density = (1 - trunk.pruning.pruning_fraction) ** ctx.level
        if ctx.level == 0:
            return ones
        context = sparsity.score_context(trunk.env, trunk.training, ctx.level, trunk.pruning.pruning_seed, "pruning")
        return prune_to_density(dense.to(trunk.env.device), ones, density,
                                h.oneshot_strategy or trunk.pruning.pruning_strategy,
                                h.oneshot_distribution or trunk.pruning.pruning_distribution,
                                context.replace(num_batches=trunk.pruning.pruning_batches),
                                options=rule_options(trunk.pruning), pattern=trunk.pattern.pattern)

    @classmethod
    def run_level(cls, ctx: BranchContext) -> dict[str, Any]:
        h: OneshotPruneHparams = ctx.hparams["branch"]  # type: ignore[assignment]
        trunk = ctx.trunk
        mask = saved_or(ctx, lambda: cls.oneshot_mask(ctx, h))
        training, start = starts.schedule(trunk, ctx.level)
        state = starts.branch_start(trunk, ctx.level, previous=0)  # previous_final: the dense final weights
        return train_branch_level(ctx, state, mask, training, start)
