"""The evaluation bundle: what `evaluate` measures besides accuracy, NLL and ECE (always reported)."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from sparselab.core.hparams import Hparams, hparam, require
from sparselab.core.when import given, one_of

ATTACKS = ("fgsm", "pgd")
SYNTHETIC_OOD = ("uniform_noise", "pixel_shuffle")
DEFAULT_EPS = 8 / 255
MAX_BINS = 1000
MAX_STEPS = 10000


@dataclasses.dataclass(frozen=True)
class EvaluationHparams(Hparams):
    _group: ClassVar[str] = "Evaluation"
    bins: int = hparam(15, "equal-width confidence bins of the ECE and the reliability diagram")
    ood_dataset: str | None = hparam(
        None, "OOD set for detection AUROC/FPR@95 (its test split, read with the job's normalisation and shape; "
              "shapes must match): a dataset name (e.g. fashion_mnist for an mnist job), uniform_noise (uniform "
              "random pixels; tables: standard normal features) or pixel_shuffle (the job's test set with the pixels "
              "or features of each example permuted); seed 0")
    attack: str | None = hparam(None, "L-inf attack for the robust accuracy on the test set", choices=ATTACKS)
    eps: float = hparam(DEFAULT_EPS, "L-inf radius in UNNORMALISED units: pixels in [0, 1] (8/255; MNIST papers use "
                                     "0.1-0.3); every iterate is clamped to the valid pixel range [0, 1] before "
                                     "normalisation (tables: standardised units, no clamp)", only_with=given("attack"))
    pgd_steps: int = hparam(10, "PGD iterations", only_with=one_of("attack", ("pgd",)))
    pgd_step_size: float | None = hparam(None, "PGD step (default: 2.5 * eps / pgd_steps, Madry et al.)",
                                         only_with=one_of("attack", ("pgd",)))
    random_start: bool = hparam(True, "PGD starts from a uniform random point of the eps-ball (seed 0)",
                                only_with=one_of("attack", ("pgd",)))

    def validate(self) -> None:
        require(1 <= self.bins <= MAX_BINS, f"--bins must be in 1..{MAX_BINS}, got {self.bins}")
        require(0 < self.eps <= 1, f"--eps must be in (0, 1], got {self.eps}")
        require(1 <= self.pgd_steps <= MAX_STEPS, f"--pgd_steps must be in 1..{MAX_STEPS}, got {self.pgd_steps}")
        if self.pgd_step_size is not None:
            require(self.pgd_step_size > 0, f"--pgd_step_size must be positive, got {self.pgd_step_size}")
        if self.ood_dataset is not None and self.ood_dataset not in SYNTHETIC_OOD:
            from sparselab.data import registry

            registry.get_source(self.ood_dataset)

    @property
    def step_size(self) -> float:
        return 2.5 * self.eps / self.pgd_steps if self.pgd_step_size is None else self.pgd_step_size
