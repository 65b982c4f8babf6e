"""Pruning bundles: how each level prunes (PruningHparams) and pruning at initialisation."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from foundations.hparams import Hparams, hparam, require

SCORES = ("magnitude", "gradient", "random", "snip", "grasp", "synflow")
DISTRIBUTIONS = ("global", "layerwise", "uniform", "uniform_plus", "er", "erk", "erk_plus", "balanced", "pyramidal")


@dataclasses.dataclass(frozen=True)
class PruningHparams(Hparams):
    _group: ClassVar[str] = "Pruning"
    pruning_strategy: str = hparam("magnitude", "score of each weight", choices=SCORES)
    pruning_fraction: float = hparam(0.2, "fraction of the remaining prunable weights removed per level")
    pruning_distribution: str = hparam("global", "how many weights each tensor keeps", choices=DISTRIBUTIONS)
    pruning_layers_to_ignore: str = hparam("", "comma list of tensor names neither pruned nor counted")
    pruning_batches: int = hparam(1, "training batches whose gradients the data-driven scores use")
    pruning_seed: int | None = hparam(None, "seed of random scores and of the scoring batches "
                                            "(default: derived from the replicate)")
    erk_power: float = hparam(1.0, "exponent of the ERK/ER scale (1 = the published rule)")
    fc_density: float | None = hparam(None, "density of the output layer for erk_plus (default 0.2 floor)")

    def validate(self) -> None:
        require(0 < self.pruning_fraction < 1,
                f"--pruning_fraction must be in (0, 1), got {self.pruning_fraction}")
        require(1 <= self.pruning_batches <= 10**4, f"--pruning_batches must be in 1..10000, got {self.pruning_batches}")
        require(0 < self.erk_power <= 100, f"--erk_power must be in (0, 100], got {self.erk_power}")
        if self.fc_density is not None:
            require(0 < self.fc_density <= 1, f"--fc_density must be in (0, 1], got {self.fc_density}")

    @property
    def layers_to_ignore(self) -> list[str]:
        return [n.strip() for n in self.pruning_layers_to_ignore.split(",") if n.strip()]
