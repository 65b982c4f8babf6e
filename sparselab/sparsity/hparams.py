"""Pruning bundles. Defaults that depend on other fields are resolved in `validate`, with a `hash_baseline`
so job directories made before the published default keep their hash."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from sparselab.core.hparams import Hparams, hparam, require
from sparselab.core.registry import Names
from sparselab.core.when import none_of, one_of
from sparselab.sparsity.distributions import DENSITY_RULES
from sparselab.sparsity.scores import (CHANNEL_SCORE_MODULES, SCORE_MODULES, WEIGHT_SCORE_MODULES, help_text,
                                      scores_seeing, unseeded_scores)

# The choices ARE the registries (one file + one registry line adds a strategy), read when used.
SCORES = Names(WEIGHT_SCORE_MODULES)  # scores of single weights
DISTRIBUTIONS = Names(DENSITY_RULES, fixed=("global", "layerwise"))  # + the rules of sparsity/allocate.py
ERK_FAMILY = ("er", "erk", "erk_plus")
COUNT_RULES = ("prunable", "openlth")
SCHEDULES = ("relative", "absolute")
CHANNEL_SCORES = Names(CHANNEL_SCORE_MODULES)  # `pruning.channels`: whole output channels
CHANNEL_DISTRIBUTIONS = ("global", "layerwise")
STRATEGIES = Names(SCORE_MODULES)  # --pruning_strategy: every score, in registry order
LEVEL_DATA = {"none": "no data", "batches": "--pruning_batches training batches",
              "per_class": "a class-balanced sample of 10 training examples per class"}


def _batch_readers() -> str:
    return " and ".join(scores_seeing("batches"))


def strategy_help() -> str:
    return (f"score of each weight (higher = kept): {help_text(SCORES, LEVEL_DATA, rounds='100')}. Channel pruning "
            f"(whole filters, sparsity/channels.py): {help_text(CHANNEL_SCORES, LEVEL_DATA)}; removable: the inner "
            "conv of every ResNet block, the hidden units of a LeNet")


COUNT_RULE_HELP = (
    "how many weights a level removes: prunable = round(p * R) of the R remaining prunable weights; openlth = "
    "ceil(p * T) + 1 with T the remaining weights of ALL prunable tensors, ignored and dense ones included "
    "(OpenLTH's sparse_global and SDD: hidden layers get sparser per level)")

SCHEDULE_HELP = (
    "what a level's count is relative to: relative = remove --pruning_fraction of the weights the mask still keeps "
    "(see --pruning_count_rule); absolute = level L keeps round(d0 * (1 - p)^L * N) of the N counted weights, d0 = the "
    "nominal --init_density (1 without pruning at initialisation), as the IMP-from-ER runs of Gadhikar et al. 2023; a "
    "level whose target keeps at least the weights the mask already keeps (a start mask that realised less than its "
    "nominal density, e.g. balanced) cannot prune: it keeps its mask unchanged and trains again")


def changed_meaning(out: dict, distribution: str | None, grasp: bool) -> dict:
    """uniform_plus (now Random_Pruning's) and grasp (now two class-sorted halves) changed meaning: their jobs
    hash with a marker, so no directory of the old meaning is reused."""
    if distribution == "uniform_plus":
        out["uniform_plus_rule"] = "random_pruning"
    if grasp:
        out["grasp_halves"] = 2
    return out


BALANCED_REDISTRIBUTE_HELP = (
    "balanced: give the unused share of tensors capped at density 1 to the others so the total hits the target "
    "(default: false, as published by Gadhikar et al. 2023: the realised density is below the target)")


# Flags of some strategies only (the parser knows them only under those): channel pruning counts channels.
BATCH_READERS = one_of("pruning_strategy", lambda: scores_seeing("batches"))
SEEDED = none_of("pruning_strategy", lambda: (*unseeded_scores(), *CHANNEL_SCORES))
WEIGHTS = none_of("pruning_strategy", CHANNEL_SCORES)


@dataclasses.dataclass(frozen=True)
class PruningHparams(Hparams):
    section: ClassVar[str] = "pruning"
    _group: ClassVar[str] = "Pruning"
    pruning_strategy: str = hparam("magnitude", strategy_help, choices=STRATEGIES)
    pruning_fraction: float = hparam(0.2, "fraction of the remaining prunable weights removed per level "
                                          "(see --pruning_count_rule)")
    pruning_distribution: str = hparam("global", "how many weights each tensor keeps: global = one ranking over "
                                                 "all prunable weights; layerwise = the same fraction of each "
                                                 "tensor; or a density rule", choices=DISTRIBUTIONS)
    pruning_layers_to_ignore: str = hparam("", "comma list of tensor names neither pruned nor counted by the "
                                               "levels (a tensor pruned at initialisation keeps that mask)")
    pruning_batches: int = hparam(1, lambda: f"training batches whose gradients {_batch_readers()} use (one batch "
                                             "of the training batch size each)", only_with=BATCH_READERS)
    pruning_seed: int | None = hparam(None, "seed of random scores and of the scoring batches "
                                            "(default: derived from the replicate)", only_with=SEEDED)
    # Flags of one --pruning_distribution (its own bundle of flags): the parser knows them only under it.
    erk_power: float = hparam(1.0, "exponent of the ER/ERK scale (1 = the published rule)",
                              only_with=("pruning_distribution", ERK_FAMILY))
    fc_density: float | None = hparam(1.0, "erk_plus: fixed density of the output layer (1 = dense, Liu et al. "
                                           "2022); none = its ERK density but at least 0.2 (this project's rule "
                                           "before)", hash_baseline=None, only_with=("pruning_distribution",
                                                                                    ("erk_plus",)))
    balanced_redistribute: bool | None = hparam(None, BALANCED_REDISTRIBUTE_HELP, hash_baseline=True,
                                                only_with=("pruning_distribution", ("balanced",)))
    pruning_count_rule: str = hparam("prunable", COUNT_RULE_HELP, choices=COUNT_RULES,
                                     only_with=(WEIGHTS, one_of("pruning_schedule", ("relative",))))
    pruning_schedule: str = hparam("relative", SCHEDULE_HELP, choices=SCHEDULES, only_with=WEIGHTS)
    bn_sparsity_regularization: float | None = hparam(None, "network_slimming: coefficient of the L1 term on the "
                                                            "BatchNorm scales during training, added as c*sign(gamma) "
                                                            "to their gradients (default 1e-4, as SDD)",
                                                      only_with=("pruning_strategy", ("network_slimming",)))

    def validate(self) -> None:
        require(0 < self.pruning_fraction < 1, f"--pruning_fraction must be in (0, 1), got {self.pruning_fraction}")
        require(1 <= self.pruning_batches <= 10**4, f"--pruning_batches must be in 1..10000, got {self.pruning_batches}")
        require(0 < self.erk_power <= 100, f"--erk_power must be in (0, 100], got {self.erk_power}")
        require(self.fc_density is None or 0 < self.fc_density <= 1,
                f"--fc_density must be in (0, 1], got {self.fc_density}")
        # Effective values (hash baselines: fc_density None, balanced_redistribute True).
        if self.pruning_distribution != "erk_plus" and self.fc_density == 1.0:
            object.__setattr__(self, "fc_density", None)
        if self.balanced_redistribute is None:
            object.__setattr__(self, "balanced_redistribute", self.pruning_distribution != "balanced")
        if self.is_channel_strategy:
            require(self.pruning_distribution in CHANNEL_DISTRIBUTIONS,
                    f"channel pruning ({self.pruning_strategy}) allocates globally or layerwise, not "
                    f"--pruning_distribution={self.pruning_distribution}")
        if self.bn_sparsity_regularization is not None:
            require(0 <= self.bn_sparsity_regularization <= 1,
                    f"--bn_sparsity_regularization must be in [0, 1], got {self.bn_sparsity_regularization}")
        elif self.pruning_strategy == "network_slimming":
            object.__setattr__(self, "bn_sparsity_regularization", 1e-4)

    def canonical(self) -> dict:
        return changed_meaning(super().canonical(), self.pruning_distribution, self.pruning_strategy == "grasp")

    @property
    def is_channel_strategy(self) -> bool:
        return self.pruning_strategy in CHANNEL_SCORES

    @property
    def layers_to_ignore(self) -> list[str]:
        return [n.strip() for n in self.pruning_layers_to_ignore.split(",") if n.strip()]
