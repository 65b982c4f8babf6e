"""One network in one job, `<root>/train_<hash>/replicate_<R>/main` (the `train` command is experiments/ensembles/train.py)."""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch

from sparselab.data.hparams import DatasetHparams
from sparselab.core import layout
from sparselab.core.cli import JobHparams, bundle
from sparselab.core.hparams import Hparams
from sparselab.models.hparams import ModelHparams
from sparselab.platforms.base import PlatformHparams
from sparselab.sparsity import dst as dynamic
from sparselab.sparsity.dst_hparams import DSTHparams
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.pattern_hparams import TRAIN_PATTERN, PatternHparams
from sparselab.train import job
from sparselab.train.experiment import Experiment
from sparselab.train.hparams import REDENSE_ONLY, TrainingHparams
from sparselab.train.sparse_job import SparseJob, run_sparse_job, saved_flag_mask
from sparselab.train.standard import Environment, remove_checkpoint
from sparselab.train.steps import check_dst_steps, resolve_steps

BUNDLES = (JobHparams, PlatformHparams, DatasetHparams, ModelHparams, TrainingHparams, InitPruningHparams, DSTHparams,
           PatternHparams)


def add_bundle_args(parser: argparse.ArgumentParser, classes: Any, defaults: dict[str, Any]) -> None:
    """The flags of one-network commands' bundles (train, supermask, str): re-dense is a branch's only."""
    for cls in classes:
        cls.add_args(parser, defaults=defaults, omit=REDENSE_ONLY if cls is TrainingHparams else None)


def network_bundles(args: argparse.Namespace, preset: dict[str, Any]) -> tuple[Hparams, ...]:
    """(job, platform, dataset, model, training) bundles of a one-network command (job and platform: no preset)."""
    return (bundle(JobHparams, args, {}), bundle(PlatformHparams, args, {}), bundle(DatasetHparams, args, preset),
            bundle(ModelHparams, args, preset), bundle(TrainingHparams, args, preset))


class DescribedByBundles:
    """`described` and `experiment_folder` from the command's `name` and `bundles()`."""

    name: ClassVar[str]

    @property
    def described(self) -> job.Described:
        return job.Described(self.name, self.bundles())  # type: ignore[attr-defined]

    def experiment_folder(self, root: Path) -> Path:
        return self.described.folder(root)


@dataclass
class TrainRunner(DescribedByBundles):
    """One network in one job. `extra`: bundles of a runner that composes this one (the ensemble's),
    hashed and recorded after the train bundles; that runner checks them (see `check`)."""

    name: ClassVar[str] = "train"

    job_args: JobHparams
    platform: PlatformHparams
    dataset: DatasetHparams
    model: ModelHparams
    training: TrainingHparams
    init_pruning: InitPruningHparams
    dst: DSTHparams = field(default_factory=DSTHparams)
    extra: dict[str, Hparams] = field(default_factory=dict)
    pattern: PatternHparams = field(default_factory=PatternHparams)

    def __post_init__(self) -> None:
        if self.pattern.pattern is not None:
            from sparselab.sparsity.init import check_init_pattern

            check_init_pattern(self.init_pruning, self.pattern.pattern)
        self.steps = resolve_steps(self, ("training", "dst"), self.dataset)
        self.extra = {key: self.steps.add(b) for key, b in self.extra.items()}

    def check(self, dst_steps: bool = True) -> None:
        dynamic.check_start(self.dst, self.init_pruning.init_density)
        if dst_steps:
            check_dst_steps(self.training, self.dst, self.steps.nominal_ipe)

    @staticmethod
    def add_args(parser: argparse.ArgumentParser, preset: dict[str, Any], pattern: bool = True) -> None:
        """`pattern` False: --sparsity_pattern is someone else's (train_branch oneshot_prune adds its own)."""
        add_bundle_args(parser, BUNDLES[:-1], preset)
        if pattern:  # train constrains the mask of pruning at initialisation (which DST then moves) only
            PatternHparams.add_args(parser, defaults=preset, only_with=TRAIN_PATTERN)

    @classmethod
    def from_args(cls, args: argparse.Namespace, preset: dict[str, Any],
                  extra: dict[str, Hparams] | None = None, read_pattern: bool = True) -> "TrainRunner":
        """`read_pattern` False: --sparsity_pattern belongs to someone else (train_branch oneshot_prune)."""
        init, extra = bundle(InitPruningHparams, args, preset), dict(extra or {})
        pattern = bundle(PatternHparams, args, preset) if read_pattern else PatternHparams()
        return cls(*network_bundles(args, preset), init, bundle(DSTHparams, args, preset), extra, pattern)

    def bundles(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "model": self.model, "training": self.training,
                "init_pruning": self.init_pruning, "dst": self.dst, **self.extra, "pattern": self.pattern}

    def directory(self, root: Path) -> Path:
        return layout.train_dir(self.described.replicate(root, self.job_args.replicate))

    def sparse_job(self, env: Environment, directory: Path, template: torch.nn.Module) -> SparseJob:
        """Dense, or from the init mask (all ones for GraNet without one); DST moves mask.pt to mask_final.pt."""
        start = template.state_dict()
        if not self.init_pruning.enabled and not self.dst.enabled:
            return SparseJob(directory, env, template, start, self.training)
        mask = saved_flag_mask(directory, env, self, template)
        return SparseJob(directory, env, template, start, self.training, mask=mask, init=self.init_pruning,
                         dst=self.dst, pattern=self.pattern)

    def run(self, exp: Experiment | None = None) -> None:
        """`exp`: an ensemble's, so members run on its platform (same process group)."""
        exp = exp or Experiment.create(self.platform, self.job_args)
        directory = self.directory(exp.root)
        model = exp.open_job(self, directory)
        if model is None:
            return

        def work() -> dict[str, Any]:
            assert exp.env is not None
            return run_sparse_job(self.sparse_job(exp.env, directory, model))

        result = job.run_once(directory, self.described.record(), work, label="train",
                              after_done=lambda: remove_checkpoint(directory))
        exp.print_result(result)
