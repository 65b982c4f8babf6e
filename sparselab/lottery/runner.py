"""One iterative pruning runner, four commands: `lottery`, `rewindLR`, `finetune`, `scratch`. Each level is a
job (lock, resume, `done.json`) in `foundations/layout.py`'s level folder; the mask of level L comes from
pruning level L-1's final weights, the policy decides the start weights and schedule."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from sparselab.foundations import layout
from sparselab.datasets.hparams import DatasetHparams
from sparselab.foundations.cli import JobHparams
from sparselab.foundations.desc import full_description, job_name
from sparselab.foundations.errors import UsageError
from sparselab.foundations.seeds import derive_seed
from sparselab.lottery.command import TrunkArgs, make_trunk_command
from sparselab.lottery.hparams import FinetuneHparams, LevelsHparams, RewindHparams
from sparselab.lottery.policies import POLICIES, RetrainingPolicy
from sparselab.lottery.progress import reuse_line
from sparselab.models.hparams import ModelHparams
from sparselab.platforms.base import PlatformHparams
from sparselab.pruning import dst as dynamic
from sparselab.pruning.dst_hparams import DSTHparams
from sparselab.pruning.hparams import PruningHparams
from sparselab.pruning.init_hparams import InitPruningHparams, init_scope
from sparselab.pruning.mask import Mask, check_names
from sparselab.pruning.pattern_hparams import PatternHparams
from sparselab.lottery import pruning_step
from sparselab.training import sparsity
from sparselab.training import job
from sparselab.training.experiment import Experiment
from sparselab.training.hparams import TrainingHparams
from sparselab.training.steps import check_dst_steps, resolve_steps
from sparselab.training.sparse_job import run_sparse_job
from sparselab.training.standard import WEIGHTS_FINAL, WEIGHTS_START, load_weights, remove_checkpoint, train_in_directory


@dataclass
class IterativeRunner(TrunkArgs):
    """The trunk: dense level 0, then levels 1..N, each pruned from the previous one."""

    policy: RetrainingPolicy
    job_args: JobHparams
    levels_args: LevelsHparams
    platform: PlatformHparams
    dataset: DatasetHparams
    model: ModelHparams
    training: TrainingHparams
    pruning: PruningHparams
    init_pruning: InitPruningHparams
    rewind: RewindHparams | None = None
    finetune: FinetuneHparams | None = None
    dst: DSTHparams | None = None
    pattern: PatternHparams = field(default_factory=PatternHparams)
    exp: Experiment | None = field(default=None, repr=False)
    _template: torch.nn.Module | None = field(default=None, init=False, repr=False)  # built once, never trained
    _init_state: dict | None = field(default=None, init=False, repr=False)  # level 0's seeded initialisation
    _to_run: list[int] | None = field(default=None, init=False, repr=False)  # levels `run` trains (None: unknown)

    def __post_init__(self) -> None:
        self.steps = resolve_steps(self, ("training", "rewind", "finetune", "dst"), self.dataset)
        check_dst_steps(self.training, self.dst, self.steps.nominal_ipe)

    def bundles(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "model": self.model, "training": self.training,
                "pruning": self.pruning, "init_pruning": self.init_pruning,
                "init_scope": init_scope(self.pruning.layers_to_ignore, self.init_pruning),
                "rewind": self.rewind, "finetune": self.finetune, "dst": self.dst, "pattern": self.pattern}

    def experiment_folder(self, root: Path) -> Path:
        return self.experiment_directory(root).parent

    def experiment_directory(self, root: Path) -> Path:
        return layout.replicate_dir(root, job_name(self.policy.name, self.bundles()), self.job_args.replicate)

    @property
    def root_directory(self) -> Path:
        assert self.exp is not None
        return self.experiment_directory(self.exp.root)

    def level_directory(self, level: int) -> Path:
        return layout.level_dir(self.root_directory, level)

    def branch_parent(self, level: int) -> Path:
        """Where branches of `level` live: beside the level's `main` job."""
        return layout.level_parent(self.root_directory, level)

    def branch_bundles(self) -> dict[str, Any]:
        """Trunk bundles a branch hash must cover: none, the trunk directory already does."""
        return {}

    @property
    def pretrain_directory(self) -> Path:
        return layout.pretrain_dir(self.root_directory)

    def prepare(self) -> Experiment:
        """Platform, data and validation; nothing is written."""
        if self.exp is None:
            self.exp = Experiment.create(self.platform, self.job_args)
        if self.exp.env is None:
            self.exp.load_data(self.dataset, self.training.precision, self.steps)
            probe = self.template()
            check_names(probe, self.pruning.layers_to_ignore, "--pruning_layers_to_ignore")
            if self.rewind_iteration() > 0 and self.init_pruning.enabled:
                raise UsageError("--init_density with --rewinding_steps is not supported: the dense pretraining "
                                 "would ignore the initial mask; rewind to initialisation instead")
        return self.exp

    @property
    def env(self):
        assert self.exp is not None and self.exp.env is not None
        return self.exp.env

    def build_model(self, seed: int | None = None) -> torch.nn.Module:
        assert self.exp is not None
        return self.exp.build_model(self.model, seed=seed)

    def template(self) -> torch.nn.Module:
        """One model of the architecture, built once per run: copied (not rebuilt) wherever weights are
        loaded anyway, and read (names, shapes) where only the layout matters."""
        if self._template is None:
            self._template = self.build_model(seed=0)
        return self._template

    def init_seed(self) -> int:
        assert self.exp is not None
        return self.exp.init_seed(self.model)

    def rewind_iteration(self) -> int:
        if self.rewind is None:
            return 0
        k = self.env.iterations(self.rewind.rewinding_steps)
        end = self.env.end_iteration(self.training)
        if k >= end:
            raise UsageError(f"--rewinding_steps={self.rewind.rewinding_steps} is not before the end of "
                             f"training ({self.training.training_steps})")
        return k

    def finetune_training(self) -> TrainingHparams:
        assert self.finetune is not None
        f = self.finetune
        return self.training.replace(lr=f.finetune_lr, training_steps=f.finetune_training_steps,
                                     milestone_steps=f.finetune_milestone_steps, gamma=f.finetune_gamma,
                                     warmup_steps=f.finetune_warmup_steps, schedule="step")

    # ----- weights and masks of finished jobs -----------------------------------------------------
    def rewind_state(self) -> dict:
        if self.rewind_iteration() > 0:
            return load_weights(self.pretrain_directory / WEIGHTS_FINAL)
        return load_weights(self.level_directory(0) / WEIGHTS_START)

    def final_state(self, level: int) -> dict:
        self.require_level(level)
        return load_weights(self.level_directory(level) / WEIGHTS_FINAL)

    def start_state(self, level: int) -> dict:
        """The (masked) weights level `level` started training from."""
        self.require_level(level)
        return load_weights(self.level_directory(level) / WEIGHTS_START)

    def fresh_init_state(self, level: int) -> dict:
        if level == 0:
            if self._init_state is None:
                self._init_state = self.build_model(seed=self.init_seed()).state_dict()
            return self._init_state
        return self.build_model(seed=derive_seed("scratch_init", self.init_seed(), level)).state_dict()

    def mask(self, level: int) -> Mask:
        """The mask level `level` ended with (its start mask unless dynamic sparse training moved it)."""
        self.require_level(level)
        return dynamic.load_final_mask(self.level_directory(level)) or Mask.load(self.level_directory(level))

    def level_done(self, level: int) -> bool:
        return job.is_done(self.level_directory(level))

    def require_level(self, level: int) -> None:
        if not self.level_done(level):
            raise UsageError(f"level {level} of {self.root_directory} is missing; create it with: "
                             f"python main.py {self.policy.name} <same flags> --levels={level}")

    def model_with(self, state: dict, mask: Mask | None = None) -> torch.nn.Module:
        model = copy.deepcopy(self.template())
        model.load_state_dict(state)
        if mask is not None:
            mask.apply_(model)
        return model

    # ----- running ------------------------------------------------------------------------------
    def ensure_pretrained(self) -> None:
        k = self.rewind_iteration()
        if k == 0:
            return
        directory = self.pretrain_directory

        def work() -> dict[str, Any]:
            model = self.model_with(self.fresh_init_state(0))
            return train_in_directory(directory, model, self.env, self.training, end_iteration=k,
                                      log_prefix="[pretrain] ")

        job.run_once(directory, self.record(), work, label="level pretrain",
                     verbose=self.exp.verbose and not job.is_done(directory),
                     after_done=lambda: remove_checkpoint(directory))

    def ensure_level(self, level: int) -> dict[str, Any]:
        """Run `level` (and any missing earlier level) unless done; return its done.json."""
        for earlier in range(level):
            if not self.level_done(earlier):
                self.ensure_level(earlier)
        self.ensure_pretrained()
        directory = self.level_directory(level)

        def work() -> dict[str, Any]:
            return run_sparse_job(pruning_step.level_job(self, level, directory))

        return job.run_once(directory, self.record(), work, label=f"level {level}",
                            verbose=self.exp.verbose and (self._to_run is None or level in self._to_run),
                            after_done=lambda: remove_checkpoint(directory))

    def raw_initial_state(self) -> dict:
        """The init, or the pretrained weights at step k, before any pruning at initialisation."""
        if self.rewind_iteration() > 0:
            return load_weights(self.pretrain_directory / WEIGHTS_FINAL)
        return self.fresh_init_state(0)

    def initial_state(self) -> dict:
        """Level 0's start: the raw initial state, masked (and rescaled) by pruning at initialisation."""
        state = self.raw_initial_state()
        if not self.init_pruning.enabled:
            return state
        model = sparsity.scaled_start(state, copy.deepcopy(self.template()), self.level_mask(0), self.init_pruning)
        return model.state_dict()

    def level_mask(self, level: int) -> Mask:
        """Load the level's mask if it was saved, else compute it (from level L-1) and save it.

        Under data parallelism every rank computes it from the same files, and rank 0's is broadcast
        so that all ranks train with the identical mask whatever path each took.
        """
        directory = self.level_directory(level)
        platform = self.env.platform
        if Mask.exists(directory):
            return platform.broadcast_object(Mask.load(directory))
        if level == 0:
            model = self.model_with(self.raw_initial_state())
            mask = pruning_step.initial_mask(self, model)
        else:
            previous = self.model_with(self.final_state(level - 1))
            mask = pruning_step.next_mask(self, previous, self.mask(level - 1), level)
        mask = platform.broadcast_object(mask)
        if platform.is_primary:
            mask.save(directory, model=self.template())
        return mask

    def record(self) -> dict[str, Any]:
        return {"command": self.policy.name, **full_description(self.bundles())}

    def run(self) -> None:
        exp = self.exp or Experiment.create(self.platform, self.job_args)
        self.exp = exp
        if self.job_args.print_path:
            print(self.experiment_directory(exp.root))
            return
        self.prepare()
        exp.banner(self.policy.name, self.bundles(), self.root_directory)
        levels = range(self.levels_args.levels + 1)
        self._to_run = [level for level in levels if not self.level_done(level)]
        pretrain_done = self.rewind_iteration() > 0 and job.is_done(self.pretrain_directory)
        line = reuse_line([lv for lv in levels if lv not in self._to_run], pretrain_done, self.root_directory)
        if line and exp.primary and exp.verbose:
            print(line, flush=True)
        for level in levels:
            self.ensure_level(level)
        if exp.primary:
            from sparselab.lottery.table import level_table

            print(level_table(self, range(self.levels_args.levels + 1)), flush=True)


TRUNK_RUNNERS: dict[str, type] = {name: make_trunk_command(IterativeRunner, p) for name, p in POLICIES.items()}
