"""`randomly_reinitialize`: the level's mask on a new, seeded initialisation."""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from sparselab.experiments.branches.base import Branch, BranchContext, train_branch_level, trunk_mask
from sparselab.core.hparams import Hparams, hparam
from sparselab.core.seeds import derive_seed
from sparselab.experiments.lottery import starts


@dataclasses.dataclass(frozen=True)
class RandomlyReinitializeHparams(Hparams):
    _group: ClassVar[str] = "Branch randomly_reinitialize"
    seed: int | None = hparam(None, "seed of the new initialisation (default: derived from replicate and level)")
    start_at_step_zero: bool = hparam(False, "train from iteration 0 instead of the level's start iteration")


class RandomlyReinitialize(Branch):
    name: ClassVar[str] = "randomly_reinitialize"
    description: ClassVar[str] = "the level's mask on a new random initialisation"
    bundle = RandomlyReinitializeHparams

    @classmethod
    def run_level(cls, ctx: BranchContext) -> dict[str, Any]:
        h: RandomlyReinitializeHparams = ctx.hparams["branch"]  # type: ignore[assignment]
        trunk = ctx.trunk
        seed = h.seed if h.seed is not None else derive_seed("reinitialize", trunk.job_args.replicate, ctx.level)
        state = trunk.build_model(seed=seed).state_dict()
        training, start = starts.schedule(trunk, ctx.level)
        start = 0 if h.start_at_step_zero else start
        return train_branch_level(ctx, state, trunk_mask(trunk, ctx.level), training, start)
