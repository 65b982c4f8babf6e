"""Pruning at initialisation ("sparse from the start"): the bundle. Every default is a no-op."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from foundations.hparams import Hparams, hparam, require
from pruning.hparams import DISTRIBUTIONS, SCORES

INIT_SCALES = ("none", "global_density", "layer_density")
RATIO_CRITERIA = ("snip", "grasp", "synflow")


@dataclasses.dataclass(frozen=True)
class InitPruningHparams(Hparams):
    _group: ClassVar[str] = "Pruning at initialisation"
    init_density: float | None = hparam(None, "density of the prunable weights at initialisation, in (0, 1] "
                                              "(default: no pruning at initialisation)")
    init_pruning_strategy: str = hparam("random", "score used to prune at initialisation", choices=SCORES)
    init_pruning_distribution: str = hparam("erk", "how many weights each tensor keeps at initialisation",
                                            choices=DISTRIBUTIONS)
    init_scale: str = hparam("none", "rescale the kept weights by 1/sqrt(density): none, the overall density, "
                                     "or each tensor's own density", choices=INIT_SCALES)
    dense_layers: str = hparam("", "comma list of tensor names kept dense at initialisation (not counted)")
    init_fc_density: float | None = hparam(None, "fixed density of the output layer at initialisation "
                                                 "(default: as the distribution decides)")
    pruning_ratio_from: str | None = hparam(None, "take only the per-tensor densities from this criterion and "
                                                  "place the kept weights by --init_pruning_strategy "
                                                  "(random by default)")
    grasp_samples_per_class: int = hparam(10, "class-balanced training examples per class used by GraSP")
    synflow_iterations: int = hparam(100, "rounds of SynFlow's exponential pruning schedule")
    init_pruning_seed: int | None = hparam(None, "seed of random scores and scoring batches at initialisation "
                                                 "(default: derived from the replicate)")
    repair_flow: bool = hparam(False, "re-enable the strongest weight of every unit left without input or output")

    def validate(self) -> None:
        if self.init_density is not None:
            require(0 < self.init_density <= 1, f"--init_density must be in (0, 1], got {self.init_density}")
        if self.init_fc_density is not None:
            require(0 < self.init_fc_density <= 1,
                    f"--init_fc_density must be in (0, 1], got {self.init_fc_density}")
        if self.pruning_ratio_from is not None:
            require(self.pruning_ratio_from in RATIO_CRITERIA,
                    f"--pruning_ratio_from: unknown value {self.pruning_ratio_from!r}; "
                    f"choose from {', '.join(RATIO_CRITERIA)}")
        require(1 <= self.grasp_samples_per_class <= 10**5,
                f"--grasp_samples_per_class must be in 1..100000, got {self.grasp_samples_per_class}")
        require(1 <= self.synflow_iterations <= 10**5,
                f"--synflow_iterations must be in 1..100000, got {self.synflow_iterations}")

    @property
    def enabled(self) -> bool:
        return self.init_density is not None

    @property
    def dense_layer_names(self) -> list[str]:
        return [n.strip() for n in self.dense_layers.split(",") if n.strip()]
