"""The `train` command: train one network in `<root>/train_<hash>/replicate_<R>/main`."""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from datasets.hparams import DatasetHparams
from foundations.cli import JobHparams, bundle
from foundations.desc import full_description, job_name
from models.hparams import ModelHparams
from platforms.base import PlatformHparams
from pruning.init_hparams import InitPruningHparams
from pruning.mask import Mask
from pruning.masked import MaskHook
from training import job
from training.experiment import Experiment
from training.hparams import TrainingHparams
from training import sparsity
from training.standard import remove_checkpoint, train_in_directory


@dataclass
class TrainRunner:
    name: ClassVar[str] = "train"
    description: ClassVar[str] = "train one network"

    job_args: JobHparams
    platform: PlatformHparams
    dataset: DatasetHparams
    model: ModelHparams
    training: TrainingHparams
    init_pruning: InitPruningHparams

    @staticmethod
    def add_args(parser: argparse.ArgumentParser, preset: dict[str, Any]) -> None:
        for cls in (JobHparams, PlatformHparams, DatasetHparams, ModelHparams, TrainingHparams, InitPruningHparams):
            cls.add_args(parser, defaults=preset)

    @classmethod
    def from_args(cls, args: argparse.Namespace, preset: dict[str, Any]) -> "TrainRunner":
        return cls(bundle(JobHparams, args, {}), bundle(PlatformHparams, args, {}),
                   bundle(DatasetHparams, args, preset), bundle(ModelHparams, args, preset),
                   bundle(TrainingHparams, args, preset), bundle(InitPruningHparams, args, preset))

    def bundles(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "model": self.model, "training": self.training,
                "init_pruning": self.init_pruning}

    def directory(self, root: Path) -> Path:
        return root / job_name(self.name, self.bundles()) / f"replicate_{self.job_args.replicate}" / "main"

    def run(self) -> None:
        exp = Experiment.create(self.platform, self.job_args)
        directory = self.directory(exp.root)
        if self.job_args.print_path:
            print(directory)
            return
        exp.load_data(self.dataset, self.training.precision)
        model = exp.build_model(self.model)
        exp.banner("train", self.bundles(), directory)

        def work() -> dict[str, Any]:
            assert exp.env is not None
            if not self.init_pruning.enabled:
                return train_in_directory(directory, model, exp.env, self.training)
            # Static sparse training: the mask from pruning at initialisation never changes.
            if Mask.exists(directory):
                mask = Mask.load(directory)
            else:
                mask = sparsity.init_mask(exp.env, self.training, self.job_args.replicate, self.init_pruning,
                                          exp.build_model(self.model), ignore=[])
                if exp.primary:
                    mask.save(directory, model=model)
            sparsity.scaled_start(model.state_dict(), model, mask, self.init_pruning)
            return train_in_directory(directory, model, exp.env, self.training, hooks=[MaskHook(mask)],
                                      summary=lambda m: sparsity.summary(m, mask))

        result = job.run_once(directory, full_description(self.bundles()), work, label="train",
                              after_done=lambda: remove_checkpoint(directory))
        exp.print_result(result)
