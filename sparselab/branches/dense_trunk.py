"""A finished `train` run seen as a one-level trunk, so `train_branch retrain|oneshot_prune` work.

The trunk's files are `train_<hash>/replicate_<R>/main/`; branch level L lives in
`train_<hash>/replicate_<R>/level_<L>/branch_<name>_<hash>/` (for `oneshot_prune`, level L means
density (1-p)^L of the --pruning_* flags, which therefore enter the branch hash).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparselab.foundations import layout
from sparselab.ensembles.train import TrainCommand
from sparselab.foundations.cli import bundle
from sparselab.foundations.desc import full_description, job_name
from sparselab.foundations.errors import UsageError
from sparselab.lottery.hparams import LevelsHparams
from sparselab.lottery.policies import RetrainingPolicy
from sparselab.lottery.runner import IterativeRunner
from sparselab.pruning.hparams import PruningHparams
from sparselab.pruning.mask import Mask
from sparselab.pruning.pattern_hparams import PatternHparams, check_trunk_pattern
from sparselab.training import job
from sparselab.training.runner import TrainRunner
from sparselab.training.standard import WEIGHTS_FINAL, WEIGHTS_START, load_weights

TRAIN_POLICY = RetrainingPolicy("train", "a dense training run", lambda trunk, level: trunk.rewind_state())
DENSE_BRANCHES = ("retrain", "oneshot_prune")


@dataclass
class DenseTrunk(IterativeRunner):
    train: TrainRunner | None = None  # the dense run's own command, for its hash and --create_parents
    owns_pattern: bool = False  # oneshot_prune: --sparsity_pattern is the branch's (else the train run's)
    @classmethod
    def add_dense_args(cls, parser: argparse.ArgumentParser, preset: dict[str, Any]) -> None:
        TrainCommand.add_args(parser, preset)
        PruningHparams.add_args(parser, defaults=preset, title="Pruning (used by oneshot_prune)")

    @classmethod
    def dense_from_args(cls, args: argparse.Namespace, preset: dict[str, Any], branch: str) -> "DenseTrunk":
        """`branch`: only oneshot_prune prunes the dense run, so only it takes --pruning_* flags."""
        oneshot = branch == "oneshot_prune"  # --sparsity_pattern then constrains the branch's one-shot mask
        train, ensemble = TrainCommand.train_runner(args, preset, read_pattern=not oneshot)
        pruning_moot = {} if branch == "oneshot_prune" else {
            name: f"train_branch {branch} does not prune (only train_branch oneshot_prune does)"
            for name in PruningHparams.field_names()}
        if ensemble.enabled:
            raise UsageError("train_branch works on single training runs, not on --ensemble runs")
        trunk = cls(policy=TRAIN_POLICY, job_args=train.job_args, levels_args=LevelsHparams(levels=0),
                   platform=train.platform, dataset=train.dataset, model=train.model, training=train.training,
                   pruning=bundle(PruningHparams, args, preset, not_here=pruning_moot), init_pruning=train.init_pruning,
                   train=train, pattern=bundle(PatternHparams, args, preset) if oneshot else train.pattern,
                   owns_pattern=oneshot)
        check_trunk_pattern(trunk.pattern, trunk.init_pruning, trunk.pruning, branch_owned=oneshot)
        return trunk

    def train_runner(self) -> TrainRunner:
        assert self.train is not None
        return self.train

    def bundles(self) -> dict[str, Any]:
        return self.train_runner().bundles()

    def branch_bundles(self) -> dict[str, Any]:
        return {"pruning": self.pruning, **({"pattern": self.pattern} if self.owns_pattern else {})}

    def experiment_directory(self, root: Path) -> Path:
        return layout.replicate_dir(root, job_name("train", self.bundles()), self.job_args.replicate)

    def level_directory(self, level: int) -> Path:
        return layout.train_dir(self.root_directory)

    def branch_parent(self, level: int) -> Path:
        return layout.level_parent(self.root_directory, level)

    def rewind_iteration(self) -> int:
        return 0

    def require_level(self, level: int) -> None:
        if not self.level_done(level):
            raise UsageError(f"the train run {self.level_directory(level)} is missing; create it with: "
                             "python main.py train <the same flags> (or add --create_parents)")

    def rewind_state(self) -> dict:
        return self.start_state(0)

    def raw_initial_state(self) -> dict:
        return load_weights(self.level_directory(0) / WEIGHTS_START)

    def initial_state(self) -> dict:
        return self.raw_initial_state()

    def final_state(self, level: int) -> dict:
        self.require_level(0)
        return load_weights(self.level_directory(0) / WEIGHTS_FINAL)

    def mask(self, level: int) -> Mask:
        self.require_level(0)
        directory = self.level_directory(0)
        return Mask.load(directory) if Mask.exists(directory) else Mask.ones_like(self.build_model(seed=0))

    def ensure_level(self, level: int) -> dict[str, Any]:
        if not self.level_done(0):
            self.train_runner().run()
        return job.read_done(self.level_directory(0))

    def record(self) -> dict[str, Any]:
        return {"command": "train", **full_description(self.bundles())}

