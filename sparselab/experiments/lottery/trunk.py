"""A trunk as one object (composed, never inherited): the bundles of a run of levels (or a `train` run seen as a
one-level trunk), its data, the model built once, the start weights kept in this process, its finished levels."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from sparselab.data.hparams import DatasetHparams
from sparselab.core import layout
from sparselab.core.cli import JobHparams
from sparselab.core.errors import UsageError
from sparselab.core.hparams import Hparams
from sparselab.experiments.lottery.hparams import FinetuneHparams, RewindHparams
from sparselab.experiments.lottery.policies import RetrainingPolicy
from sparselab.models.hparams import ModelHparams
from sparselab.platforms.base import PlatformHparams
from sparselab.sparsity.dst_hparams import DSTHparams
from sparselab.sparsity.hparams import PruningHparams
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.mask import Mask, check_names
from sparselab.sparsity.pattern_hparams import PatternHparams
from sparselab.train.experiment import Experiment
from sparselab.train.job import Described
from sparselab.train.standard import Environment
from sparselab.train.steps import ResolvedSteps
from sparselab.store.levels import LevelStore

StateDict = dict


@dataclass
class Kept:
    """Start weights built or read once per run."""

    init: StateDict | None = None  # level 0's seeded initialisation
    rewind: StateDict | None = None  # the rewind point, read (verified) once
    final: tuple[int, StateDict, Mask] | None = None  # the level just trained: its final weights and mask


@dataclass
class Trunk:
    """`hashed`: the bundles the directory's hash covers; `branch_bundles`: trunk bundles a branch hash covers too."""

    policy: RetrainingPolicy
    job_args: JobHparams
    platform: PlatformHparams
    dataset: DatasetHparams
    model: ModelHparams
    training: Any  # TrainingHparams in canonical steps
    pruning: PruningHparams
    init_pruning: InitPruningHparams
    pattern: PatternHparams
    steps: ResolvedSteps
    hashed: dict[str, Hparams | None]
    rewind: RewindHparams | None = None
    finetune: FinetuneHparams | None = None
    dst: DSTHparams | None = None
    train_run: bool = False  # a `train` run: one job, level 0 only
    branch_bundles: dict[str, Hparams] = field(default_factory=dict)
    exp: Experiment | None = field(default=None, repr=False)
    template_model: torch.nn.Module | None = field(default=None, init=False, repr=False)  # built once, never trained
    kept: Kept = field(default_factory=Kept, init=False, repr=False)

    def __post_init__(self) -> None:
        self.described = Described(self.policy.name, self.hashed)
        self.name = self.described.name  # the bundles are frozen: hashed once

    def record(self) -> dict[str, Any]:
        return {"command": self.policy.name, **self.described.record()}

    def experiment_directory(self, root: Path) -> Path:
        return layout.replicate_dir(root, self.name, self.job_args.replicate)

    @property
    def root_directory(self) -> Path:
        assert self.exp is not None
        return self.experiment_directory(self.exp.root)

    @property
    def store(self) -> LevelStore:
        return LevelStore(self.root_directory, self.policy.name, train_run=self.train_run)

    def level_directory(self, level: int) -> Path:
        return self.store.directory(level)

    def branch_parent(self, level: int) -> Path:
        return layout.level_parent(self.root_directory, level)

    def open(self) -> Experiment:
        """The platform (no data read: enough for paths and job states)."""
        if self.exp is None:
            self.exp = Experiment.create(self.platform, self.job_args)
        return self.exp

    def prepare(self) -> Experiment:
        """Platform, data and validation; nothing is written."""
        exp = self.open()
        if exp.env is None:
            exp.load_data(self.dataset, self.training.precision, self.steps)
            check_names(self.template(), self.pruning.layers_to_ignore, "--pruning_layers_to_ignore")
            if self.rewind_iteration() > 0 and self.init_pruning.enabled:
                raise UsageError("--init_density with --rewinding_steps is not supported: the dense pretraining "
                                 "would ignore the initial mask; rewind to initialisation instead")
        return exp

    @property
    def env(self) -> Environment:
        assert self.exp is not None and self.exp.env is not None
        return self.exp.env

    def rewind_iteration(self) -> int:
        if self.rewind is None:
            return 0
        k = self.env.schedule(self.rewind)["rewinding_steps"]
        if k >= self.env.end_iteration(self.training):
            raise UsageError(f"--rewinding_steps={self.rewind.rewinding_steps} is not before the end of "
                             f"training ({self.training.training_steps})")
        return k

    def build_model(self, seed: int | None = None) -> torch.nn.Module:
        assert self.exp is not None
        return self.exp.build_model(self.model, seed=seed)

    def template(self) -> torch.nn.Module:
        """Built once per run, never trained: copied where weights are loaded anyway, read for names and shapes."""
        if self.template_model is None:
            self.template_model = self.build_model(seed=0)
        return self.template_model

    def init_seed(self) -> int:
        assert self.exp is not None
        return self.exp.init_seed(self.model)

    def model_with(self, state: StateDict) -> torch.nn.Module:
        model = copy.deepcopy(self.template())
        model.load_state_dict(state)
        return model
