"""Training one branch level: masked start weights, mask hook, summary with the level and density."""
from __future__ import annotations

from typing import Any

from sparselab.experiments.branches.base import BranchContext
from sparselab.experiments.lottery.trunk import Trunk
from sparselab.sparsity.mask import Mask
from sparselab.train.slimming import bn_l1_hooks
from sparselab.train.hparams import TrainingHparams
from sparselab.train.sparse_job import SparseJob, run_sparse_job
from sparselab.train.standard import Environment


def train_branch_level(ctx: BranchContext, state: dict, mask: Mask, training: TrainingHparams,
                       start_iteration: int, env: Environment | None = None) -> dict[str, Any]:
    """Train `state` masked by `mask` as a sparse job (`train/sparse_job.py`); `mask.save` first so
    the branch directory is self-contained. The mask is static (a branch never runs DST)."""
    env = env or ctx.trunk.env
    template = ctx.trunk.template()
    if env.platform.is_primary and not Mask.exists(ctx.directory):
        mask.save(ctx.directory, model=template)
    regain = env.schedule(training).get("regain_pruned_weights_steps")
    return run_sparse_job(SparseJob(
        ctx.directory, env, template, state, training, mask=mask, start_iteration=start_iteration,
        regain_at_iteration=regain, hooks=bn_l1_hooks(ctx.trunk.pruning),
        log_prefix=f"[branch level {ctx.level}] ", summary_head={"level": ctx.level}))


def trunk_mask(trunk: Trunk, level: int) -> Mask:
    """The mask the trunk's `level` ended with; all ones for a dense `train` run."""
    mask = trunk.store.mask(level)
    return mask if mask is not None else Mask.ones_like(trunk.template())


def saved_or(ctx: BranchContext, make) -> Mask:
    """The mask this branch level saved before (resumption), else a new one from `make()`."""
    return Mask.load(ctx.directory) if Mask.exists(ctx.directory) else make()
