"""The Unreasonable Effectiveness of Random Pruning (Liu et al., ICLR 2022; VITA-Group/Random_Pruning): static
sparse training from a random mask (`train --init_density`). Sources: `random_pruning_behaviour.md` §1.4 (ERK),
§1.5 (ERK+), §3 (static sparse training), §3.2 (init), §6.1 (cifar_resnet_D_W), §6.2 (hyperparameter table).

Deviations from the Random_Pruning code, on purpose:
- masks keep exactly round(d_l N_l) weights per tensor (the code samples Bernoulli(d_l), §1.1).
- no 45k/5k validation split and no best-validation checkpoint (the final weights are tested); the
  code's CIFAR-100 "validation" set is the test set (§6.2, §9.2).
- ImageNet milestones follow the paper's table for the 100-epoch sparse run (30/60/90; the code: 30/60/80,
  §6.2). Warm-up is linear per iteration over 5 epochs (the code: per epoch, lr (e+1)/(w+1)). fp32 instead of
  apex fp16. Weight decay also acts on BatchNorm parameters (the ImageNet code exempts them).
- BatchNorm starts at gamma=1, beta=0 (`fixed`): the code uses PyTorch's default (§3.2 names only conv/linear).
"""
from __future__ import annotations

from typing import Any

from sparselab.train.recipes import Recipe

NOTE = "random_pruning_behaviour.md"

# §6.2 table row "ResNets, dense & sparse, CIFAR-10/100" + code details: SGD Nesterov, milestones at epochs/2
# and 3 epochs/4, --density default 0.05; §6.1: any cifar_resnet_<D>[_<W>] (README widths 8/16/24); §3.2:
# PyTorch kaiming_normal_ (fan_in), --scaled off by default.
_CIFAR: dict[str, Any] = {
    "batch_size": 128, "model_name": "cifar_resnet_20", "model_init": "kaiming_normal", "batchnorm_init": "fixed",
    "optimizer_name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4,
    "milestone_steps": "80ep,120ep", "gamma": 0.1, "training_steps": "160ep", "init_density": 0.05,
    "init_pruning_strategy": "random", "init_pruning_distribution": "erk", "init_scale": "none"}

# §6.2 table row "Wide ResNets, sparse, ImageNet" + code details: batch 192 x 4 GPUs; §3.2 README fan-in init;
# §6.1 BN gamma=1 beta=0; §1.5, §6.2 README density 0.2 with --fc_density 1.0 (classifier dense).
IMAGENET_WRN: dict[str, Any] = {
    "dataset_name": "imagenet", "batch_size": 768, "model_name": "wide_resnet50_2", "model_init": "kaiming_normal",
    "batchnorm_init": "fixed", "optimizer_name": "sgd", "lr": 0.4, "momentum": 0.9, "weight_decay": 1e-4,
    "warmup_steps": "5ep", "milestone_steps": "30ep,60ep,90ep", "gamma": 0.1, "training_steps": "100ep",
    "label_smoothing": 0.1, "init_density": 0.2, "init_pruning_strategy": "random",
    "init_pruning_distribution": "erk_plus", "init_fc_density": 1.0}

_SOURCE = f"Liu et al. 2022 (ICLR) Table of hyperparameters; {NOTE} §1.4, §3, §6.2"
_CIFAR_LINE = "Random pruning: static sparse cifar_resnet_20 on CIFAR-{} at density 0.05, random ERK mask"

RECIPES: dict[str, Recipe] = {
    "rp_cifar10_resnet_erk": Recipe("train", _CIFAR_LINE.format(10), _SOURCE, {**_CIFAR, "dataset_name": "cifar10"}),
    "rp_cifar100_resnet_erk": Recipe("train", _CIFAR_LINE.format(100), _SOURCE,
                                     {**_CIFAR, "dataset_name": "cifar100"}),
    "rp_imagenet_wide_resnet50_2_erk_plus": Recipe(
        "train", "Random pruning: static sparse WideResNet-50-2 on ImageNet at density 0.2, random ERK+ mask "
                 "(classifier dense)",
        f"Liu et al. 2022 (ICLR) Table of hyperparameters; {NOTE} §1.5, §3.2, §6.2", IMAGENET_WRN),
}
