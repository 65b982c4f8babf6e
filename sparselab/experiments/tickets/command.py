"""What `supermask` and `str` share: one network from an ER mask, the train bundles plus one bundle of its own
(defaults: the published values of ER_SLT and STR)."""
from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from sparselab.data.hparams import DatasetHparams
from sparselab.core.cli import JobHparams, bundle
from sparselab.core.hparams import Hparams, hparam, require
from sparselab.models.hparams import ModelHparams
from sparselab.platforms.base import PlatformHparams
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.str_ import S_INIT
from sparselab.train.command import FlagCommand
from sparselab.train.job import Described
from sparselab.train.hparams import REDENSE_ONLY, TrainingHparams

SHARED = (JobHparams, PlatformHparams, DatasetHparams, ModelHparams, TrainingHparams, InitPruningHparams)


@dataclasses.dataclass(frozen=True)
class SupermaskHparams(Hparams):
    _group: ClassVar[str] = "Strong tickets (edge-popup in an ER mask)"
    supermask_density: float = hparam(0.2, "kept fraction of the counted weights at the last level (ER_SLT "
                                           "--sparsity, 0.2 in its sample runs); at most the ER density")
    supermask_start_density: float = hparam(0.6, "kept fraction the annealing starts from, before level 1 "
                                                 "(ER_SLT --sparsity_start); clipped to the ER density")
    levels: int = hparam(5, "levels of the annealing; each level trains the scores for --training_steps in "
                            "its own job level_<L>/main (ER_SLT --levels, 5 in its sample runs)")
    scale_fan: bool = hparam(False, "divide the frozen weights by sqrt(--supermask_density) (ER_SLT --scale-fan)")
    carry_optimizer: bool = hparam(False, "level L > 0 starts its optimiser from level L-1's final state "
                                          "(optimizer_final.pt: momentum buffers carried on, as ER_SLT's one "
                                          "optimiser does); the learning-rate schedule restarts each level either way")

    def validate(self) -> None:
        require(0 < self.supermask_density <= 1, f"--supermask_density must be in (0, 1], got {self.supermask_density}")
        require(0 < self.supermask_start_density <= 1,
                f"--supermask_start_density must be in (0, 1], got {self.supermask_start_density}")
        require(1 <= self.levels <= 1000, f"--levels must be in 1..1000, got {self.levels}")


@dataclasses.dataclass(frozen=True)
class STRHparams(Hparams):
    _group: ClassVar[str] = "STR (soft threshold reparameterisation)"
    str_s_init: float = hparam(S_INIT, "initial value of every layer's threshold parameter s (threshold = "
                                       "sigmoid(s); -200 as the sparse_to_sparse STR configs)")
    st_decay: float | None = hparam(None, "weight decay of the thresholds s (default: --weight_decay, as STR); "
                                          "added to their gradient, so sgd or adam only")

    def validate(self) -> None:
        require(-1e4 <= self.str_s_init <= 1e4, f"--str_s_init must be in [-10000, 10000], got {self.str_s_init}")
        if self.st_decay is not None:
            require(0 <= self.st_decay <= 10, f"--st_decay must be in [0, 10], got {self.st_decay}")


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
                   *(bundle(c, args, preset) for c in (*SHARED[2:], cls.own)))

    def bundles(self) -> dict[str, Any]:
        own = getattr(self, dataclasses.fields(self)[-1].name)
        return {"dataset": self.dataset, "model": self.model, "training": self.training,
                "init_pruning": self.init_pruning, self.section: own}

    @property
    def described(self) -> Described:
        return Described(self.name, self.bundles())

    def experiment_folder(self, root: Path) -> Path:
        return self.described.folder(root)

    def experiment_directory(self, root: Path) -> Path:
        return self.described.replicate(root, self.job_args.replicate)
