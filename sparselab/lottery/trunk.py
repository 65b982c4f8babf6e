"""What every trunk shares (the iterative runner's levels, a `train` run seen as a one-level trunk):
the prepared experiment, the model built once, and the read-only store of its finished levels."""
from __future__ import annotations

import copy
from typing import Any

import torch

from sparselab.pruning.mask import Mask, check_names
from sparselab.training.experiment import Experiment
from sparselab.training.store import LevelStore


class TrunkModel:
    """Mixin of dataclasses with the fields `exp`, `platform`, `job_args`, `dataset`, `model`, `training`,
    `pruning`, `steps`, `template_model` and `start_cache`."""

    exp: Experiment | None
    template_model: torch.nn.Module | None  # built once, never trained
    start_cache: dict  # start weights built or read once per run: "init", "rewind" (lottery/starts.py)

    @property
    def store(self) -> LevelStore:
        raise NotImplementedError

    def prepare(self) -> Experiment:
        """Platform, data and validation; nothing is written."""
        if self.exp is None:
            self.exp = Experiment.create(self.platform, self.job_args)  # type: ignore[attr-defined]
        if self.exp.env is None:
            self.exp.load_data(self.dataset, self.training.precision, self.steps)  # type: ignore[attr-defined]
            check_names(self.template(), self.pruning.layers_to_ignore,  # type: ignore[attr-defined]
                        "--pruning_layers_to_ignore")
            self.check_prepared()
        return self.exp

    def check_prepared(self) -> None:
        """Checks that need the data (raise UsageError)."""

    @property
    def env(self) -> Any:
        assert self.exp is not None and self.exp.env is not None
        return self.exp.env

    def build_model(self, seed: int | None = None) -> torch.nn.Module:
        assert self.exp is not None
        return self.exp.build_model(self.model, seed=seed)  # type: ignore[attr-defined]

    def template(self) -> torch.nn.Module:
        """One model of the architecture, built once per run: copied (not rebuilt) wherever weights are
        loaded anyway, and read (names, shapes) where only the layout matters."""
        if self.template_model is None:
            self.template_model = self.build_model(seed=0)
        return self.template_model

    def init_seed(self) -> int:
        assert self.exp is not None
        return self.exp.init_seed(self.model)  # type: ignore[attr-defined]

    def model_with(self, state: dict, mask: Mask | None = None) -> torch.nn.Module:
        model = copy.deepcopy(self.template())
        model.load_state_dict(state)
        if mask is not None:
            mask.apply_(model)
        return model
