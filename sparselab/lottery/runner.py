"""One iterative pruning runner, four commands: `lottery`, `rewindLR`, `finetune`, `scratch`. Each level is a
job (lock, resume, `done.json`) in `foundations/layout.py`'s level folder; the mask of level L comes from
pruning level L-1's final weights (read through the trunk's `LevelStore`); the policy (plain data,
interpreted by `lottery/starts.py`) decides the start weights and schedule."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from sparselab.foundations import layout
from sparselab.datasets.hparams import DatasetHparams
from sparselab.foundations.cli import JobHparams
from sparselab.foundations.desc import full_description, job_name
from sparselab.foundations.errors import UsageError
from sparselab.lottery.command import TrunkArgs, make_trunk_command
from sparselab.lottery.hparams import FinetuneHparams, LevelsHparams, RewindHparams
from sparselab.lottery import starts
from sparselab.lottery.policies import POLICIES, RetrainingPolicy
from sparselab.lottery.progress import reuse_line
from sparselab.lottery.trunk import TrunkModel
from sparselab.models.hparams import ModelHparams
from sparselab.platforms.base import PlatformHparams
from sparselab.pruning.dst_hparams import DSTHparams
from sparselab.pruning.hparams import PruningHparams
from sparselab.pruning.init_hparams import InitPruningHparams, init_scope
from sparselab.pruning.mask import Mask
from sparselab.pruning.pattern_hparams import PatternHparams
from sparselab.lottery import pruning_step
from sparselab.training import job
from sparselab.training.experiment import Experiment
from sparselab.training.hparams import TrainingHparams
from sparselab.training.steps import check_dst_steps, resolve_steps
from sparselab.training.sparse_job import SparseJob, run_sparse_job
from sparselab.training.standard import remove_checkpoint
from sparselab.training.store import LevelStore


@dataclass
class IterativeRunner(TrunkArgs, TrunkModel):
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
    template_model: torch.nn.Module | None = field(default=None, init=False, repr=False)  # built once, never trained
    start_cache: dict = field(default_factory=dict, init=False, repr=False)  # lottery/starts.py
    _to_run: list[int] | None = field(default=None, init=False, repr=False)  # levels `run` trains (None: unknown)
    _name: str | None = field(default=None, init=False, repr=False)  # job_name of the bundles
    _ensured: set[int] = field(default_factory=set, init=False, repr=False)  # levels ensure_level returned

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
        if self._name is None:  # the bundles are frozen: hash them once, not at every path lookup
            self._name = job_name(self.policy.name, self.bundles())
        return layout.replicate_dir(root, self._name, self.job_args.replicate)

    @property
    def root_directory(self) -> Path:
        assert self.exp is not None
        return self.experiment_directory(self.exp.root)

    def level_directory(self, level: int) -> Path:
        return self.store.directory(level)

    def branch_parent(self, level: int) -> Path:
        """Where branches of `level` live: beside the level's `main` job."""
        return layout.level_parent(self.root_directory, level)

    def branch_bundles(self) -> dict[str, Any]:
        """Trunk bundles a branch hash must cover: none, the trunk directory already does."""
        return {}

    @property
    def pretrain_directory(self) -> Path:
        return self.store.pretrain_directory()

    @property
    def store(self) -> LevelStore:
        """The finished levels of this trunk (read-only)."""
        return LevelStore(self.root_directory, self.policy.name)

    def check_prepared(self) -> None:
        if self.rewind_iteration() > 0 and self.init_pruning.enabled:
            raise UsageError("--init_density with --rewinding_steps is not supported: the dense pretraining "
                             "would ignore the initial mask; rewind to initialisation instead")

    def rewind_iteration(self) -> int:
        if self.rewind is None:
            return 0
        k = self.env.schedule(self.rewind)["rewinding_steps"]
        end = self.env.end_iteration(self.training)
        if k >= end:
            raise UsageError(f"--rewinding_steps={self.rewind.rewinding_steps} is not before the end of "
                             f"training ({self.training.training_steps})")
        return k

    # ----- running ------------------------------------------------------------------------------
    def ensure_pretrained(self) -> None:
        k = self.rewind_iteration()
        if k == 0:
            return
        directory = self.pretrain_directory

        def work() -> dict[str, Any]:  # dense: no mask
            return run_sparse_job(SparseJob(directory, self.env, self.template(), starts.fresh_init(self, 0),
                                            self.training, end_iteration=k, log_prefix="[pretrain] "))

        job.run_once(directory, self.record(), work, label="level pretrain",
                     verbose=self.exp.verbose and not job.is_done(directory),
                     after_done=lambda: remove_checkpoint(directory))

    def ensure_level(self, level: int) -> dict[str, Any]:
        """Run `level` (and any missing earlier level) unless done; return its done.json."""
        missing = [earlier for earlier in range(level) if earlier not in self._ensured and not self.store.done(earlier)]
        for earlier in missing:
            self.ensure_level(earlier)
        self.ensure_pretrained()
        directory = self.level_directory(level)

        def work() -> dict[str, Any]:
            return run_sparse_job(pruning_step.level_job(self, level, directory))

        done = job.run_once(directory, self.record(), work, label=f"level {level}",
                            verbose=self.exp.verbose and (self._to_run is None or level in self._to_run),
                            after_done=lambda: remove_checkpoint(directory))
        self._ensured.add(level)  # done in this process: not looked up again for the levels after it
        return done

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
            model = self.model_with(starts.raw_initial(self))
            mask = pruning_step.initial_mask(self, model)
        else:
            state, previous_mask = pruning_step.previous_final(self, level)
            mask = pruning_step.next_mask(self, self.model_with(state), previous_mask, level)
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
        self._to_run = [level for level in levels if not self.store.done(level)]
        pretrain_done = self.rewind_iteration() > 0 and job.is_done(self.pretrain_directory)
        line = reuse_line([lv for lv in levels if lv not in self._to_run], pretrain_done, self.root_directory)
        if line and exp.primary and exp.verbose:
            print(line, flush=True)
        for level in levels:
            self.ensure_level(level)
        if exp.primary:
            from sparselab.lottery.table import level_table

            print(level_table(self.store, range(self.levels_args.levels + 1)), flush=True)


TRUNK_RUNNERS: dict[str, type] = {name: make_trunk_command(IterativeRunner, p) for name, p in POLICIES.items()}
