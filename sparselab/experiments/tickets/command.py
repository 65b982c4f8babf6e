"""What `supermask` and `str` share: one network from an ER mask, the train bundles plus one bundle of its own."""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from sparselab.data.hparams import DatasetHparams
from sparselab.core import layout
from sparselab.core.cli import JobHparams, bundle
from sparselab.core.hparams import Hparams
from sparselab.models.hparams import ModelHparams
from sparselab.platforms.base import PlatformHparams
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.train.command import FlagCommand
from sparselab.train.job import Described
from sparselab.train.hparams import REDENSE_ONLY, TrainingHparams

SHARED = (JobHparams, PlatformHparams, DatasetHparams, ModelHparams, TrainingHparams, InitPruningHparams)


@dataclass
class ERStartCommand(FlagCommand):
    """A subclass declares its own bundle as its last field, `own` (its class) and `section` (its hash key)."""

    own: ClassVar[type[Hparams]]
    section: ClassVar[str]
    defaults: ClassVar[dict[str, Any]] = {}  # preset values of this command (below --default_hparams)

    job_args: JobHparams
    platform: PlatformHparams
    dataset: DatasetHparams
    model: ModelHparams
    training: TrainingHparams
    init_pruning: InitPruningHparams

    @classmethod
    def add_args(cls, parser: argparse.ArgumentParser, preset: dict[str, Any]) -> None:
        for bundle_class in (*SHARED, cls.own):
            omit = REDENSE_ONLY if bundle_class is TrainingHparams else None
            bundle_class.add_args(parser, defaults={**cls.defaults, **preset}, omit=omit)

    @classmethod
    def from_args(cls, args: argparse.Namespace, preset: dict[str, Any]) -> "ERStartCommand":
        preset = {**cls.defaults, **preset}
        return cls(bundle(JobHparams, args, {}), bundle(PlatformHparams, args, {}),  # type: ignore[call-arg]
                   bundle(DatasetHparams, args, preset), bundle(ModelHparams, args, preset),
                   bundle(TrainingHparams, args, preset),
                   bundle(InitPruningHparams, args, preset), bundle(cls.own, args, preset))

    def own_bundle(self) -> Hparams:
        raise NotImplementedError

    def bundles(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "model": self.model, "training": self.training,
                "init_pruning": self.init_pruning, self.section: self.own_bundle()}

    @property
    def described(self) -> Described:
        return Described(self.name, self.bundles())

    def experiment_folder(self, root: Path) -> Path:
        return self.described.folder(root)

    def experiment_directory(self, root: Path) -> Path:
        return self.described.replicate(root, self.job_args.replicate)
