"""What a branch is: a named ablation with its own bundle that runs once per level of a trunk, reading the trunk's
files through `trunk.store` and writing `<trunk level dir>/branch_<name>_<hash>/` (the hash covers only the branch's
own bundles: the directory it lives in identifies the trunk)."""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Mapping

from sparselab.core.hparams import Hparams
from sparselab.experiments.lottery.trunk import Trunk
from sparselab.sparsity.mask import Mask
from sparselab.train.hparams import TrainingHparams
from sparselab.train.slimming import bn_l1_hooks
from sparselab.train.sparse_job import SparseJob, run_sparse_job
from sparselab.train.standard import Environment


@dataclass
class BranchContext:
    trunk: Trunk  # a lottery trunk or a `train` run (`train_branch`)
    hparams: Mapping[str, Hparams]  # the branch's bundles by name
    level: int
    directory: Path


class Branch:
    """Subclasses set `name`, `description`, `bundle` and implement `run_level`."""

    name: ClassVar[str]
    description: ClassVar[str]
    bundle: ClassVar[type[Hparams]]
    on_dense_trunk: ClassVar[bool] = False  # also a branch of a dense `train` run (`train_branch <name>`)

    @classmethod
    def add_args(cls, parser: argparse.ArgumentParser, trunk_preset: dict[str, Any]) -> None:
        cls.bundle.add_args(parser, title=f"Branch {cls.name}")

    @classmethod
    def bundles_from_args(cls, args: argparse.Namespace, trunk: Trunk) -> dict[str, Hparams]:
        return {"branch": cls.bundle.from_args(args)}

    @classmethod
    def validate(cls, trunk: Trunk, hparams: Mapping[str, Hparams]) -> None:
        """Checks that need the prepared trunk (model names, data); raise UsageError."""

    @classmethod
    def run_level(cls, ctx: BranchContext) -> dict[str, Any]:
        raise NotImplementedError


def train_branch_level(ctx: BranchContext, state: dict, mask: Mask, training: TrainingHparams,
                       start_iteration: int, env: Environment | None = None) -> dict[str, Any]:
    """Train `state` under the static `mask` (a branch never runs DST), saved first so the branch directory is
    self-contained."""
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
