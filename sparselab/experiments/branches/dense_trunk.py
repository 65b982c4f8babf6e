"""A finished `train` run seen as a one-level trunk, so `train_branch retrain|oneshot_prune` work.

The trunk's files are `train_<hash>/replicate_<R>/main/`, read through a `LevelStore` over the run
(`store/levels.py`); branch level L lives in `train_<hash>/replicate_<R>/level_<L>/branch_<name>_<hash>/`
(for `oneshot_prune`, level L means density (1-p)^L of the --pruning_* flags, which therefore enter the
branch hash).
"""
from __future__ import annotations

import argparse
from typing import Any

from sparselab.experiments.ensembles.train import TrainCommand
from sparselab.core.cli import bundle
from sparselab.core.errors import UsageError
from sparselab.experiments.lottery.policies import REWIND, RetrainingPolicy
from sparselab.experiments.lottery.trunk import Trunk
from sparselab.sparsity.hparams import PruningHparams
from sparselab.sparsity.pattern_hparams import PatternHparams, check_trunk_pattern
from sparselab.train.runner import TrainRunner

TRAIN_POLICY = RetrainingPolicy("train", "a dense training run", REWIND)  # its rewind point: the run's start


def add_dense_args(parser: argparse.ArgumentParser, preset: dict[str, Any], branch: str) -> None:
    """A single training run's flags (no ensemble); only oneshot_prune prunes it, so only it takes
    the --pruning_* flags, and its --sparsity_pattern constrains its one-shot mask."""
    oneshot = branch == "oneshot_prune"
    TrainRunner.add_args(parser, preset, pattern=not oneshot)
    if oneshot:
        PruningHparams.add_args(parser, defaults=preset, title="Pruning (used by oneshot_prune)")
        PatternHparams.add_args(parser, defaults=preset)


def dense_from_args(args: argparse.Namespace, preset: dict[str, Any], branch: str) -> tuple[Trunk, TrainRunner]:
    """The run as a trunk, and its own command (for --create_parents). `branch`: only oneshot_prune
    prunes the dense run, so only it takes --pruning_* flags (and then owns --sparsity_pattern)."""
    oneshot = branch == "oneshot_prune"
    train, ensemble = TrainCommand.train_runner(args, preset, read_pattern=not oneshot)
    if ensemble.enabled:
        raise UsageError("train_branch works on single training runs, not on --ensemble runs")
    pruning = bundle(PruningHparams, args, preset)
    pattern = bundle(PatternHparams, args, preset) if oneshot else train.pattern
    trunk = Trunk(TRAIN_POLICY, train.job_args, train.platform, train.dataset, train.model, train.training,
                  pruning, train.init_pruning, pattern, train.steps, train.bundles(), train_run=True,
                  branch_bundles={"pruning": pruning, **({"pattern": pattern} if oneshot else {})})
    check_trunk_pattern(pattern, train.init_pruning, pruning, branch_owned=oneshot)
    return trunk, train
