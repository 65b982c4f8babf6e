"""Ensembles from one `train` command: the bundle (every default is a no-op) and flag combinations."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from sparselab.core.errors import UsageError
from sparselab.core.hparams import Hparams, hparam, require
from sparselab.core.when import given, one_of
from sparselab.core.step import validate_step_string

ENSEMBLE_KINDS = ("edst", "dst", "pf")


@dataclasses.dataclass(frozen=True)
class EnsembleHparams(Hparams):
    section: ClassVar[str] = "ensemble"
    _group: ClassVar[str] = "Ensembles"
    ensemble: str | None = hparam(None, "train an ensemble: edst (M free tickets from one dynamic sparse run), "
                                        "dst (M dynamic sparse runs with different seeds), pf (M dense runs, "
                                        "each pruned once and fine-tuned); default: one network",
                                  choices=ENSEMBLE_KINDS)
    ensemble_members: int = hparam(3, "number of members M", only_with=given("ensemble"))
    exploration_steps: str | None = hparam(None, "edst: length of the exploration phase at the training lr "
                                                 "(default: a third of --training_steps)", step="one",
                                           only_with=one_of("ensemble", ("edst",)))
    refine_steps: str | None = hparam(None, "edst: length of each refinement phase (lr/10, then lr/100 from "
                                            "half-way); default: the rest of --training_steps split in M", step="one",
                                      only_with=one_of("ensemble", ("edst",)))
    global_explore_fraction: float = hparam(0.8, "edst: drop fraction of the large prune-and-grow step "
                                                  "between two refinement phases",
                                            only_with=one_of("ensemble", ("edst",)))
    pf_density: float = hparam(0.2, "pf: density of the one-shot global magnitude pruning of each dense member",
                               only_with=one_of("ensemble", ("pf",)))
    pf_lr: float = hparam(0.001, "pf: constant learning rate of the fine-tuning", only_with=one_of("ensemble", ("pf",)))
    pf_finetune_steps: str | None = hparam(None, "pf: length of the fine-tuning (default: --training_steps)",
                                              step="one", only_with=one_of("ensemble", ("pf",)))

    def validate(self) -> None:
        require(self.ensemble_members >= 2, f"--ensemble_members must be >= 2, got {self.ensemble_members}")
        require(self.ensemble_members <= 100, f"--ensemble_members must be at most 100, got {self.ensemble_members}")
        require(self.pf_lr <= 1e3, f"--pf_lr must be at most 1000, got {self.pf_lr}")
        require(0 < self.global_explore_fraction < 1,
                f"--global_explore_fraction must be in (0, 1), got {self.global_explore_fraction}")
        require(0 < self.pf_density < 1, f"--pf_density must be in (0, 1), got {self.pf_density}")
        require(self.pf_lr > 0, f"--pf_lr must be positive, got {self.pf_lr}")
        for flag, step in self._steps():
            validate_step_string(step, flag)

    def _steps(self) -> list[tuple[str, str]]:
        names = ("exploration_steps", "refine_steps", "pf_finetune_steps")
        return [(f"--{n}", getattr(self, n)) for n in names if getattr(self, n) is not None]

    def validate_steps(self, iterations_per_epoch: int) -> None:
        from sparselab.core.step import parse_iterations

        for flag, step in self._steps():
            require(parse_iterations(step, iterations_per_epoch, flag) >= 1,
                    f"{flag}={step} is zero iterations; give at least 1it")

    @property
    def enabled(self) -> bool:
        return self.ensemble is not None


def check_combination(ensemble: EnsembleHparams, dst_method: str | None, init_density: float | None) -> None:
    """Flags that cannot work together, reported before anything is written."""
    from sparselab.sparsity.dst.methods import DST_METHODS

    if ensemble.ensemble == "edst":
        moving = "|".join(name for name, m in DST_METHODS.items() if not m.prunes)  # EDST keeps the density
        if dst_method not in DST_METHODS or DST_METHODS[dst_method].prunes:
            raise UsageError(f"--ensemble=edst needs --dst={moving} (got --dst={dst_method})")
        if init_density is None or init_density >= 1:
            raise UsageError("--ensemble=edst needs a sparse start: give --init_density in (0, 1)")
    elif ensemble.ensemble == "dst":
        if dst_method is None:
            raise UsageError(f"--ensemble=dst needs --dst={'|'.join(DST_METHODS)} (its members are dynamic "
                             "sparse runs)")
    elif ensemble.ensemble == "pf":
        if dst_method is not None or init_density is not None:
            raise UsageError("--ensemble=pf trains dense members and prunes them once: drop --dst and "
                             "--init_density (use --pf_density for the final density)")
