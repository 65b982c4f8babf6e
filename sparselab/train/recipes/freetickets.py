"""FreeTickets (Liu et al., ICLR 2022; VITA-Group/FreeTickets): EDST, DST and PF ensembles of WRN-28-10 on CIFAR
at density 0.2 (`train --ensemble=edst|dst|pf`). Sources: `random_pruning_behaviour.md` §4.1-4.2 (prune-regrow,
constant death rate, update every 1000 its), §4.4 (the ensembles and schedules), §6.1 (WRN-d-k), §6.2 (b).

A ticket is the final weights and mask of its phase (EDST) or run (DST, PF): FreeTickets keeps the best
checkpoint on a 10 % validation split (§4.4, §6.2), and sparselab has no validation split.

Deviations from the FreeTickets code, on purpose:
- the death rate is the constant --dst_drop_fraction=0.5: the code computes a cosine decay but
  never uses it (§4.2), and the EDST README asks for `--decay-schedule constant`.
- dense ERK layers keep all their weights (the code zeroes their smallest weights at every update,
  §4.1, §9.2); masks keep exact per-tensor counts (the code samples Bernoulli, §1.1).
- conv weights use kaiming_normal with fan_in (the code: N(0, 2/(k^2 n_out)), fan_out, §3.2);
  BatchNorm starts at gamma=1, beta=0 (`fixed`). No dropout (the training scripts use 0, §6.1).
- DST/PF milestones at 50 % and 75 % of 250 epochs: 125ep, 187ep (75 % = 187.5 epochs).
"""
from __future__ import annotations

from typing import Any

from sparselab.train.recipes import Recipe

NOTE = "random_pruning_behaviour.md"

_WRN: dict[str, Any] = {  # §6.2 (b)
    "dataset_name": "cifar10", "batch_size": 128, "model_name": "wide_resnet_28_10", "model_init": "kaiming_normal",
    "batchnorm_init": "fixed", "optimizer_name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": False,
    "weight_decay": 5e-4}

_DST: dict[str, Any] = {  # §4.4 README: ERK at 0.2, gradient growth, magnitude death, rate 0.5 every 1000 its
    "init_density": 0.2, "init_pruning_strategy": "random", "init_pruning_distribution": "erk", "dst": "rigl",
    "dst_update_frequency": 1000, "dst_drop_fraction": 0.5, "dst_drop_schedule": "constant"}

_MULTISTEP_250: dict[str, Any] = {"training_steps": "250ep", "milestone_steps": "125ep,187ep", "gamma": 0.1}

RECIPES: dict[str, Recipe] = {
    "ft_cifar10_wrn28_10_edst": Recipe(
        "train", "FreeTickets EDST: 3 free tickets of one WRN-28-10 DST run on CIFAR-10 at density 0.2, 450 epochs",
        f"Liu et al. 2022 (FreeTickets) §EDST; {NOTE} §4.4 (README: E=450, E_x=150, M=3, q=0.8)",
        {**_WRN, **_DST, "training_steps": "450ep", "ensemble": "edst", "ensemble_members": 3,
         "exploration_steps": "150ep", "refine_steps": "100ep", "global_explore_fraction": 0.8}),
    "ft_cifar10_wrn28_10_dst": Recipe(
        "train", "FreeTickets DST ensemble: 3 independent WRN-28-10 DST runs on CIFAR-10 at density 0.2, 250 epochs",
        f"Liu et al. 2022 (FreeTickets) §DST ensemble; {NOTE} §4.2, §4.4 (main_DST.py README)",
        {**_WRN, **_DST, **_MULTISTEP_250, "dst_end": "250ep",  # DST is never stopped early (§4.2)
         "ensemble": "dst", "ensemble_members": 3}),
    "ft_cifar10_wrn28_10_pf": Recipe(
        "train", "FreeTickets PF ensemble: 3 dense WRN-28-10 on CIFAR-10, each pruned once to density 0.2 "
                 "and fine-tuned at lr 0.001",
        f"Liu et al. 2022 (FreeTickets) §PF ensemble; {NOTE} §4.4 (main_individual.py, main_PF.py)",
        {**_WRN, **_MULTISTEP_250, "ensemble": "pf", "ensemble_members": 3, "pf_density": 0.2, "pf_lr": 0.001}),
}
