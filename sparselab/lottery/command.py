"""The command line of the iterative runners: which bundles a policy takes, the runner built from
parsed flags, and the command class main.py dispatches to (the trunk flags plus `--levels`)."""
from __future__ import annotations

import argparse
from typing import Any, ClassVar

from sparselab.datasets.hparams import DatasetHparams
from sparselab.foundations.cli import JobHparams, bundle
from sparselab.lottery.hparams import FinetuneHparams, LevelsHparams, RewindHparams
from sparselab.lottery.policies import RetrainingPolicy
from sparselab.models.hparams import ModelHparams
from sparselab.platforms.base import PlatformHparams
from sparselab.pruning.dst_hparams import DSTHparams
from sparselab.pruning.hparams import PruningHparams
from sparselab.pruning.init_hparams import InitPruningHparams
from sparselab.pruning.pattern_hparams import PatternHparams, check_trunk_pattern
from sparselab.training.command import FlagCommand
from sparselab.training.hparams import REDENSE_ONLY, TrainingHparams


class TrunkArgs:
    """Mixin of `IterativeRunner`: its flags and its construction from parsed flags."""

    @staticmethod
    def bundle_classes(policy: RetrainingPolicy) -> list[type]:
        classes: list[type] = [DatasetHparams, ModelHparams, TrainingHparams, PruningHparams, InitPruningHparams,
                               DSTHparams, PatternHparams]
        if policy.uses_rewinding:
            classes.append(RewindHparams)
        if policy.uses_finetuning:
            classes.append(FinetuneHparams)
        return classes

    @classmethod
    def add_trunk_args(cls, policy: RetrainingPolicy, parser: argparse.ArgumentParser, preset: dict[str, Any]) -> None:
        for bundle_cls in (JobHparams, PlatformHparams, *cls.bundle_classes(policy)):
            omit = REDENSE_ONLY if bundle_cls is TrainingHparams else None
            bundle_cls.add_args(parser, defaults=preset, omit=omit)

    @classmethod
    def trunk_from_args(cls, policy: RetrainingPolicy, args: argparse.Namespace, preset: dict[str, Any],
                        levels: LevelsHparams | None = None) -> Any:
        runner = cls(  # type: ignore[call-arg]
            policy=policy, job_args=bundle(JobHparams, args, {}),
            levels_args=levels or LevelsHparams(levels=0),
            platform=bundle(PlatformHparams, args, {}),
            dataset=bundle(DatasetHparams, args, preset), model=bundle(ModelHparams, args, preset),
            training=bundle(TrainingHparams, args, preset),
            pruning=bundle(PruningHparams, args, preset),
            init_pruning=bundle(InitPruningHparams, args, preset),
            rewind=bundle(RewindHparams, args, preset) if policy.uses_rewinding else None,
            finetune=bundle(FinetuneHparams, args, preset) if policy.uses_finetuning else None,
            dst=bundle(DSTHparams, args, preset),
            pattern=bundle(PatternHparams, args, preset),
        )
        check_trunk_pattern(runner.pattern, runner.init_pruning, runner.pruning, branch_owned=False)
        return runner


def make_trunk_command(runner: type[TrunkArgs], policy: RetrainingPolicy) -> type:
    """A command class for main.py: adds `--levels` to the trunk flags."""

    class TrunkCommand(FlagCommand):
        name: ClassVar[str] = policy.name
        description: ClassVar[str] = policy.description

        @classmethod
        def add_args(cls, parser: argparse.ArgumentParser, preset: dict[str, Any]) -> None:
            runner.add_trunk_args(policy, parser, preset)
            LevelsHparams.add_args(parser, defaults=preset)

        @classmethod
        def from_args(cls, args: argparse.Namespace, preset: dict[str, Any]) -> Any:
            return runner.trunk_from_args(policy, args, preset, levels=bundle(LevelsHparams, args, preset))

    TrunkCommand.__name__ = f"{policy.name}Command"
    return TrunkCommand
