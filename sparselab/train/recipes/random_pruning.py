"""The Unreasonable Effectiveness of Random Pruning (Liu et al., ICLR 2022; VITA-Group/Random_Pruning).

Static sparse training from a random mask with layer-wise densities (`train --init_density`).
Sources: `random_pruning_behaviour.md` (the reference note) §1.4 (ERK), §1.5 (ERK+), §3 (static
sparse training), §3.2 (initialisation), §6.1 (cifar_resnet_D_W), §6.2 (the paper's hyperparameter
table and the code-level details).

Deviations from the Random_Pruning code, on purpose:
- masks keep exactly round(d_l N_l) weights per tensor (the code samples Bernoulli(d_l), §1.1).
- no 45k/5k validation split and no best-validation checkpoint (the final weights are tested); the
  code's CIFAR-100 "validation" set is the test set (§6.2, §9.2).
- ImageNet milestones follow the paper's table for the 100-epoch sparse run (30/60/90); the code
  used 30/60/80 (§6.2). Warm-up is linear per iteration over 5 epochs (the code: per epoch,
  lr (e+1)/(w+1)). fp32 instead of apex fp16 with a static loss scale. Weight decay also acts on the
  BatchNorm parameters (the ImageNet code exempts them; sparselab has no option for that).
- BatchNorm starts at gamma=1, beta=0 (`fixed`): the code uses PyTorch's default BN init (§3.2 names
  only the conv/linear init).
"""
from __future__ import annotations

from typing import Any

from sparselab.train.recipes import Recipe

NOTE = "random_pruning_behaviour.md"

_CIFAR: dict[str, Any] = {  # §6.2 table row "ResNets, dense & sparse, CIFAR-10/100" + code details
    "batch_size": 128,
    "model_name": "cifar_resnet_20",  # §6.1: any cifar_resnet_<D>[_<W>] (README widths 8/16/24)
    "model_init": "kaiming_normal",  # §3.2: PyTorch kaiming_normal_ (fan_in)
    "batchnorm_init": "fixed",
    "optimizer_name": "sgd",
    "lr": 0.1,
    "momentum": 0.9,
    "nesterov": True,  # §6.2: CIFAR SGD Nesterov
    "weight_decay": 5e-4,
    "milestone_steps": "80ep,120ep",  # epochs/2 and 3 epochs/4
    "gamma": 0.1,
    "training_steps": "160ep",
    "init_density": 0.05,  # §6.2: --density default 0.05 (CIFAR)
    "init_pruning_strategy": "random",
    "init_pruning_distribution": "erk",
    "init_scale": "none",  # §3.2: --scaled is off by default
}

IMAGENET_WRN: dict[str, Any] = {  # §6.2 table row "Wide ResNets, sparse, ImageNet" + code details
    "dataset_name": "imagenet",
    "batch_size": 768,  # 192 x 4 GPUs
    "model_name": "wide_resnet50_2",
    "model_init": "kaiming_normal",  # §3.2: README uses the fan-in mode
    "batchnorm_init": "fixed",  # §6.1: BN gamma=1 beta=0
    "optimizer_name": "sgd",
    "lr": 0.4,
    "momentum": 0.9,
    "weight_decay": 1e-4,
    "warmup_steps": "5ep",
    "milestone_steps": "30ep,60ep,90ep",
    "gamma": 0.1,
    "training_steps": "100ep",
    "label_smoothing": 0.1,
    "init_density": 0.2,  # §1.5, §6.2: README density 0.2
    "init_pruning_strategy": "random",
    "init_pruning_distribution": "erk_plus",
    "init_fc_density": 1.0,  # §1.5: --fc_density 1.0 (classifier dense)
}

_SOURCE = f"Liu et al. 2022 (ICLR) Table of hyperparameters; {NOTE} §1.4, §3, §6.2"

RECIPES: dict[str, Recipe] = {
    "rp_cifar10_resnet_erk": Recipe(
        "train", "Random pruning: static sparse cifar_resnet_20 on CIFAR-10 at density 0.05, random ERK mask",
        _SOURCE, {**_CIFAR, "dataset_name": "cifar10"}),
    "rp_cifar100_resnet_erk": Recipe(
        "train", "Random pruning: static sparse cifar_resnet_20 on CIFAR-100 at density 0.05, random ERK mask",
        _SOURCE, {**_CIFAR, "dataset_name": "cifar100"}),
    "rp_imagenet_wide_resnet50_2_erk_plus": Recipe(
        "train", "Random pruning: static sparse WideResNet-50-2 on ImageNet at density 0.2, random ERK+ mask "
                 "(classifier dense)",
        f"Liu et al. 2022 (ICLR) Table of hyperparameters; {NOTE} §1.5, §3.2, §6.2", IMAGENET_WRN),
}
