"""The `train` command: one network (train/runner.py), or with `--ensemble` an ensemble of them."""
from __future__ import annotations

import argparse
from typing import Any

from sparselab.experiments.ensembles.hparams import EnsembleHparams, check_combination
from sparselab.core.cli import bundle
from sparselab.train.command import FlagCommand, Runner
from sparselab.train.runner import TrainRunner


class TrainCommand(FlagCommand):
    name = "train"
    description = "train one network"

    @classmethod
    def add_args(cls, parser: argparse.ArgumentParser, preset: dict[str, Any]) -> None:
        TrainRunner.add_args(parser, preset)
        EnsembleHparams.add_args(parser, defaults=preset)

    @classmethod
    def train_runner(cls, args: argparse.Namespace, preset: dict[str, Any],
                     read_pattern: bool = True) -> tuple[TrainRunner, EnsembleHparams]:
        """The train runner of the flags (the ensemble bundle hashed with it) and that bundle, checked
        (`read_pattern` False: --sparsity_pattern is a train_branch oneshot_prune's own)."""
        ensemble: EnsembleHparams = bundle(EnsembleHparams, args, preset)  # type: ignore[assignment]
        runner = TrainRunner.from_args(args, preset, extra={"ensemble": ensemble}, read_pattern=read_pattern)
        ensemble = runner.extra["ensemble"]  # type: ignore[assignment]  # canonical steps
        check_combination(ensemble, runner.dst.dst, runner.init_pruning.init_density)
        edst = ensemble.ensemble == "edst" and runner.steps.nominal_ipe is not None
        runner.check(dst_steps=not edst)
        if edst:
            from sparselab.experiments.ensembles.runner import phases

            phases(runner.training, ensemble, runner.steps.nominal_ipe)  # phase lengths, before any file is written
        return runner, ensemble

    @classmethod
    def from_args(cls, args: argparse.Namespace, preset: dict[str, Any]) -> Runner:
        runner, ensemble = cls.train_runner(args, preset)
        if ensemble.enabled:
            from sparselab.experiments.ensembles.runner import EnsembleRunner

            return EnsembleRunner(runner, ensemble)
        return runner

