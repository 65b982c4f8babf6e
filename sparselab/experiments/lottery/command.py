"""The command line of the iterative runners: a policy's bundles, the trunk of the flags, the command class."""
from __future__ import annotations

import argparse
from types import SimpleNamespace
from typing import Any, Callable, ClassVar

from sparselab.data.hparams import DatasetHparams
from sparselab.core.cli import JobHparams, bundle
from sparselab.experiments.lottery.hparams import FinetuneHparams, LevelsHparams, RewindHparams
from sparselab.experiments.lottery.policies import RetrainingPolicy
from sparselab.experiments.lottery.trunk import Trunk
from sparselab.models.hparams import ModelHparams
from sparselab.platforms.base import PlatformHparams
from sparselab.sparsity.dst_hparams import DSTHparams
from sparselab.sparsity.hparams import PruningHparams
from sparselab.sparsity.init_hparams import InitPruningHparams, init_scope
from sparselab.sparsity.pattern_hparams import PatternHparams, check_trunk_pattern
from sparselab.train.command import FlagCommand
from sparselab.train.hparams import REDENSE_ONLY, TrainingHparams
from sparselab.train.steps import check_dst_steps, resolve_steps


def add_trunk_args(policy: RetrainingPolicy, parser: argparse.ArgumentParser, preset: dict[str, Any]) -> None:
    timed = [RewindHparams] * policy.uses_rewinding + [FinetuneHparams] * policy.uses_finetuning
    for bundle_cls in (JobHparams, PlatformHparams, DatasetHparams, ModelHparams, TrainingHparams, PruningHparams,
                       InitPruningHparams, DSTHparams, PatternHparams, *timed):
        omit = REDENSE_ONLY if bundle_cls is TrainingHparams else None
        bundle_cls.add_args(parser, defaults=preset, omit=omit)


def trunk_from_args(policy: RetrainingPolicy, args: argparse.Namespace, preset: dict[str, Any]) -> Trunk:
    """The trunk of the flags, its step flags in canonical spelling (the hash is of those)."""
    dataset, pruning = bundle(DatasetHparams, args, preset), bundle(PruningHparams, args, preset)
    init_pruning, pattern = bundle(InitPruningHparams, args, preset), bundle(PatternHparams, args, preset)
    timed = SimpleNamespace(training=bundle(TrainingHparams, args, preset),
                            rewind=bundle(RewindHparams, args, preset) if policy.uses_rewinding else None,
                            finetune=bundle(FinetuneHparams, args, preset) if policy.uses_finetuning else None,
                            dst=bundle(DSTHparams, args, preset))
    steps = resolve_steps(timed, ("training", "rewind", "finetune", "dst"), dataset)
    check_dst_steps(timed.training, timed.dst, steps.nominal_ipe)
    model = bundle(ModelHparams, args, preset)
    hashed = {"dataset": dataset, "model": model, "training": timed.training, "pruning": pruning,
              "init_pruning": init_pruning, "init_scope": init_scope(pruning.layers_to_ignore, init_pruning),
              "rewind": timed.rewind, "finetune": timed.finetune, "dst": timed.dst, "pattern": pattern}
    trunk = Trunk(policy, bundle(JobHparams, args, {}), bundle(PlatformHparams, args, {}), dataset,
                  model, timed.training, pruning, init_pruning, pattern, steps, hashed, rewind=timed.rewind,
                  finetune=timed.finetune, dst=timed.dst)
    check_trunk_pattern(pattern, init_pruning, pruning, branch_owned=False)
    return trunk


def make_trunk_command(runner: Callable[[Trunk, LevelsHparams], Any], policy: RetrainingPolicy) -> type:
    """A command class for main.py: the trunk flags plus `--levels`, run by `runner(trunk, levels)`."""

    class TrunkCommand(FlagCommand):
        name: ClassVar[str] = policy.name
        description: ClassVar[str] = policy.description

        @classmethod
        def add_args(cls, parser: argparse.ArgumentParser, preset: dict[str, Any]) -> None:
            add_trunk_args(policy, parser, preset)
            LevelsHparams.add_args(parser, defaults=preset)

        @classmethod
        def from_args(cls, args: argparse.Namespace, preset: dict[str, Any]) -> Any:
            return runner(trunk_from_args(policy, args, preset), bundle(LevelsHparams, args, preset))

    TrunkCommand.__name__ = f"{policy.name}Command"
    return TrunkCommand
