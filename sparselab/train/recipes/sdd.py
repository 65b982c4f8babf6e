"""Sparse Double Descent (He et al., ICML 2022; an OpenLTH fork). Sources: `openlth_and_sdd_behaviour.md` §1.7
(presets, Tiny-ImageNet command), §2.1, §4.7, §5.2-5.5, §7.2 (random labels, in every README experiment), §16.

Deviations from the SDD code, on purpose:
- seeds: SDD's label noise uses transformation_seed 0 unless `--fix_all_random_seeds`; here noise, data order
  and init seeds derive from `--replicate`. The recipes use `--pruning_count_rule=openlth` (SDD's ceil(p * T) + 1
  with LeNet's ignored `fc.weight` in T, §4.7); the flag's default is the exact round(p * R).
- `retrain` evaluates the test set (SDD's branch never logs it, §5.2); re-dense brings pruned weights back at
  zero with zero momentum (SDD reuses their momentum, §10.6).
- the Tiny-ImageNet preset's dataset name bug (`tinyimagenet`) is not reproduced (§1.7); images are resized to
  32x32 once at load (SDD: RandomResizedCrop 32 / Resize 45 + CenterCrop 32, §8.2).
- SDD's `mnist_mlp_300_100` is `mnist_lenet_300_100` here (same network, §9.2).
"""
from __future__ import annotations

from typing import Any

from sparselab.train.recipes import Recipe

NOTE = "openlth_and_sdd_behaviour.md"

# §1.7: all SDD presets; §4.7: ceil(p * T) + 1 removed per level; §7.2, §16: "20 % symmetric label noise" =
# random labels; SDD evaluates the training set every epoch (§10.4), the figure plots it.
_COMMON: dict[str, Any] = {
    "model_init": "kaiming_normal", "batchnorm_init": "uniform", "optimizer_name": "sgd",
    "pruning_strategy": "magnitude", "pruning_distribution": "global", "pruning_fraction": 0.2,
    "pruning_count_rule": "openlth", "random_labels_fraction": 0.2, "eval_train": True}

# §1.7 SDD preset mnist_mlp_300_100; §16: the MNIST curve ends at level 24 (99.5 % sparse)
MNIST_LENET: dict[str, Any] = {
    **_COMMON, "dataset_name": "mnist", "batch_size": 128, "model_name": "mnist_lenet_300_100", "lr": 0.1,
    "momentum": 0.0, "training_steps": "160ep", "pruning_layers_to_ignore": "fc.weight", "finetune_lr": 0.1,
    "finetune_training_steps": "160ep", "levels": 24}

# §1.7 SDD preset cifar_pytorch_resnet_18; §4.7: README trunks run --levels=30
_RESNET18: dict[str, Any] = {
    **_COMMON, "batch_size": 128, "model_name": "cifar_pytorch_resnet_18", "lr": 0.1, "momentum": 0.9,
    "milestone_steps": "80ep,120ep", "gamma": 0.1, "weight_decay": 1e-4, "training_steps": "160ep",
    "pruning_layers_to_ignore": "", "levels": 30}

# Per retraining schedule (§4.2-4.5): lottery rewinds to 1000it (README example 1.1, §2.1); rewindLR
# rewinds the lr to 0 (the README gives no --rewinding_steps, §4.3); finetune uses the preset's
# fine-tuning lr and length at a constant lr (§1.5.6); scratch has no rewinding (§1.5.5).
_SCHEDULES: dict[str, dict[str, Any]] = {
    "lottery": {"rewinding_steps": "1000it"}, "rewindLR": {"rewinding_steps": "0ep"},
    "finetune": {"finetune_lr": 0.001, "finetune_training_steps": "160ep"}, "scratch": {}}

_DATASETS = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100"}

RECIPES: dict[str, Recipe] = {
    "sdd_mnist_lenet_300_100": Recipe(
        "lottery", "SDD figure: LeNet-300-100 on MNIST, 20 % random labels, IMP rewinding to init, levels 0-24",
        f"He et al. 2022 Fig. 1; {NOTE} §1.7 (SDD preset), §7.2, §16", MNIST_LENET),
    **{
        f"sdd_{dataset}_resnet18_{schedule.lower()}": Recipe(
            schedule, f"SDD figure: ResNet-18 on {title}, 20 % random labels, {schedule} schedule, levels 0-30",
            f"He et al. 2022 Fig. 1; {NOTE} §1.7, §2.1 (README example 1.1), §4.2-4.5",
            {**_RESNET18, "dataset_name": dataset, **extra})
        for dataset, title in _DATASETS.items() for schedule, extra in _SCHEDULES.items()
    },
    "sdd_cifar100_resnet18_redense": Recipe(
        "lottery", "SDD re-dense trunk: ResNet-18 on CIFAR-100, 40 % random labels, rewinding to 1000it "
                   "(then lottery_branch retrain with re-dense at 160ep)",
        f"He et al. 2022 (re-dense); {NOTE} §5.2 (README recipe)",
        {**_RESNET18, "dataset_name": "cifar100", "random_labels_fraction": 0.4, "rewinding_steps": "1000it"}),
    "sdd_tiny_imagenet_resnet101_oneshot": Recipe(
        "lottery", "SDD Tiny-ImageNet: ResNet-101, 20 % random labels, trunk of lottery_branch oneshot_prune "
                   "(levels 0-16)",
        f"He et al. 2022; {NOTE} §1.7 (README Tiny-ImageNet command, SDD preset), §5.5",
        {**_COMMON, "dataset_name": "tiny_imagenet", "image_size": 32, "batch_size": 512,
         "model_name": "tinyimagenet_resnet_101", "lr": 0.2, "momentum": 0.9, "weight_decay": 1e-4,
         "warmup_steps": "5ep", "milestone_steps": "100ep,150ep", "gamma": 0.1, "training_steps": "200ep",
         "rewinding_steps": "1000it", "pruning_layers_to_ignore": "",
         "levels": 16}),  # README --level=0-16; the branch runner needs each listed trunk level
}
