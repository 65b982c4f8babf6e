"""What every runner does before and after its jobs: platform, data, model building, banner, result."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import torch

from sparselab.data.hparams import DatasetHparams
from sparselab.core.cli import JobHparams
from sparselab.core.hparams import Hparams
from sparselab.core.seeds import seed_or_default
from sparselab.models import registry as model_registry
from sparselab.models.hparams import ModelHparams
from sparselab.platforms import registry as platform_registry
from sparselab.platforms.base import Platform, PlatformHparams, check_results_root
from sparselab.train.data import prepare_data
from sparselab.train.precision import check_precision
from sparselab.train.standard import Environment
from sparselab.train.steps import ResolvedSteps


@dataclass
class Experiment:
    platform: Platform
    job_args: JobHparams
    env: Environment | None = None

    @classmethod
    def create(cls, platform_hparams: PlatformHparams, job_args: JobHparams) -> "Experiment":
        exp = cls(platform_registry.create(platform_hparams), job_args)
        if not job_args.print_path:
            check_results_root(exp.root)
        return exp

    @property
    def root(self) -> Path:
        return self.platform.root

    @property
    def verbose(self) -> bool:
        return not self.job_args.quiet

    @property
    def primary(self) -> bool:
        return self.platform.is_primary

    def load_data(self, dataset: DatasetHparams, precision: str, steps: ResolvedSteps | None = None) -> Environment:
        """Check the precision, read the dataset, check `steps` against its epoch length."""
        check_precision(self.platform.device, precision)
        data = prepare_data(dataset, self.platform.dataset_root, self.job_args.replicate,
                            download=self.platform.hparams.download)
        if steps is not None:
            steps.check_data(data.iterations_per_epoch(), dataset.dataset_name)
        self.env = Environment(self.platform, data, self.job_args.replicate, verbose=self.verbose)
        return self.env

    def init_seed(self, hparams: ModelHparams) -> int:
        return seed_or_default(hparams.init_seed, "init", self.job_args.replicate)

    def build_model(self, hparams: ModelHparams, seed: int | None = None) -> torch.nn.Module:
        """Built on the CPU from `seed`, else --init_seed, else one derived from the replicate."""
        assert self.env is not None, "load_data first"
        if seed is None:
            seed = self.init_seed(hparams)
        return model_registry.build(hparams.model_name, self.env.data.input_shape, self.env.data.num_classes,
                                    model_init=hparams.model_init, batchnorm_init=hparams.batchnorm_init,
                                    seed=seed, bias_init=hparams.bias_init)

    def banner(self, title: str, bundles: Mapping[str, Hparams | None], directory: Path) -> None:
        if not self.primary:
            return
        line = "=" * 78
        print(line)
        print(f"sparselab {title}  (replicate {self.job_args.replicate}, device {self.platform.device})")
        print(line)
        if self.verbose:
            for b in bundles.values():
                if b is not None:
                    print(b.display())
            print(line)
        print(f"output: {directory}", flush=True)

    def open_job(self, command: Any, directory: Path) -> torch.nn.Module | None:
        """None under --print_path (prints `directory`); else data loaded, banner printed, the seeded model."""
        if command.job_args.print_path:
            print(directory)
            return None
        self.load_data(command.dataset, command.training.precision, command.steps)
        model = self.build_model(command.model)
        self.banner(command.name, command.bundles(), directory)
        return model

    def print_result(self, result: Mapping[str, Any]) -> None:
        if not self.primary:
            return
        parts = [f"final test accuracy {100 * result['final_test_accuracy']:.2f}%",
                 f"best {100 * result['best_test_accuracy']:.2f}% (iteration {result['best_iteration']})"]
        if result.get("images_per_second"):
            parts.append(f"{result['images_per_second']:.0f} img/s")
        print("result: " + ", ".join(parts), flush=True)
