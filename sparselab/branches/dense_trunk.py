"""A finished `train` run seen as a one-level trunk, so `train_branch retrain|oneshot_prune` work.

The trunk's files are `train_<hash>/replicate_<R>/main/`, read through a `LevelStore` over the run
(`training/store.py`); branch level L lives in `train_<hash>/replicate_<R>/level_<L>/branch_<name>_<hash>/`
(for `oneshot_prune`, level L means density (1-p)^L of the --pruning_* flags, which therefore enter the
branch hash).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from sparselab.ensembles.train import TrainCommand
from sparselab.foundations import layout
from sparselab.foundations.cli import bundle
from sparselab.foundations.desc import full_description, job_name
from sparselab.foundations.errors import UsageError
from sparselab.lottery.policies import REWIND, RetrainingPolicy
from sparselab.lottery.trunk import TrunkModel
from sparselab.pruning.hparams import PruningHparams
from sparselab.pruning.pattern_hparams import PatternHparams, check_trunk_pattern
from sparselab.training.experiment import Experiment
from sparselab.training.runner import TrainRunner
from sparselab.training.store import LevelStore

TRAIN_POLICY = RetrainingPolicy("train", "a dense training run", REWIND)  # its rewind point: the run's start


@dataclass
class DenseTrunk(TrunkModel):
    train: TrainRunner  # the dense run's own command: its bundles, hash and --create_parents
    pruning: PruningHparams
    pattern: PatternHparams
    owns_pattern: bool = False  # oneshot_prune: --sparsity_pattern is the branch's (else the train run's)
    policy: RetrainingPolicy = TRAIN_POLICY
    exp: Experiment | None = field(default=None, repr=False)
    template_model: torch.nn.Module | None = field(default=None, init=False, repr=False)
    start_cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        t = self.train
        self.job_args, self.platform, self.dataset, self.model = t.job_args, t.platform, t.dataset, t.model
        self.training, self.init_pruning, self.steps = t.training, t.init_pruning, t.steps

    @classmethod
    def add_dense_args(cls, parser: argparse.ArgumentParser, preset: dict[str, Any], branch: str) -> None:
        """A single training run's flags (no ensemble); only oneshot_prune prunes it, so only it takes
        the --pruning_* flags, and its --sparsity_pattern constrains its one-shot mask."""
        oneshot = branch == "oneshot_prune"
        TrainRunner.add_args(parser, preset, pattern=not oneshot)
        if oneshot:
            PruningHparams.add_args(parser, defaults=preset, title="Pruning (used by oneshot_prune)")
            PatternHparams.add_args(parser, defaults=preset)

    @classmethod
    def dense_from_args(cls, args: argparse.Namespace, preset: dict[str, Any], branch: str) -> "DenseTrunk":
        """`branch`: only oneshot_prune prunes the dense run, so only it takes --pruning_* flags."""
        oneshot = branch == "oneshot_prune"  # --sparsity_pattern then constrains the branch's one-shot mask
        train, ensemble = TrainCommand.train_runner(args, preset, read_pattern=not oneshot)
        if ensemble.enabled:
            raise UsageError("train_branch works on single training runs, not on --ensemble runs")
        trunk = cls(train=train, pruning=bundle(PruningHparams, args, preset),
                    pattern=bundle(PatternHparams, args, preset) if oneshot else train.pattern, owns_pattern=oneshot)
        check_trunk_pattern(trunk.pattern, trunk.init_pruning, trunk.pruning, branch_owned=oneshot)
        return trunk

    def bundles(self) -> dict[str, Any]:
        return self.train.bundles()

    def branch_bundles(self) -> dict[str, Any]:
        return {"pruning": self.pruning, **({"pattern": self.pattern} if self.owns_pattern else {})}

    def experiment_directory(self, root: Path) -> Path:
        return layout.replicate_dir(root, job_name("train", self.bundles()), self.job_args.replicate)

    @property
    def root_directory(self) -> Path:
        assert self.exp is not None
        return self.experiment_directory(self.exp.root)

    @property
    def store(self) -> LevelStore:
        return LevelStore.of_train_run(self.root_directory)

    def level_directory(self, level: int) -> Path:
        return self.store.directory(level)

    def branch_parent(self, level: int) -> Path:
        return layout.level_parent(self.root_directory, level)

    def rewind_iteration(self) -> int:
        return 0

    def ensure_level(self, level: int) -> dict[str, Any]:
        if not self.store.done(0):
            self.train.run()
        return self.store.metrics(0)

    def record(self) -> dict[str, Any]:
        return {"command": "train", **full_description(self.bundles())}
