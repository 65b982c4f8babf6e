"""Why Random Pruning Is All We Need to Start Sparse (Gadhikar et al., ICML 2023; RelationalML/sparse_to_sparse):
ER networks trained statically, IMP and GraNet started from ER. Sources: `random_pruning_behaviour.md` §1.6
(balanced, pyramidal), §4.3 (GraNet), §5.1 (IMP from ER: `STR/run_imp.py` + cifar10 config), §5.4 (ER_DST), §6.1.

Choices where the note gives no value (notes/recipes.md): ER_DST's lr 0.1 (as in every other CIFAR recipe of
the three papers); static ER training (`--is-prune False`) uses the IMP/STR runs' ER density 0.3 (§5.1, §5.2);
GraNet's ER start uses `balanced`, the IMP script's layer ratios (§5.1). `balanced` is the published rule
(capped tensors' excess is dropped, so the realised density is below the target, §1.6, §9.3), as the code does.

Deviations from the sparse_to_sparse code, on purpose:
- IMP from ER: every level trains 150 epochs (as in the code) and the last mask's 160-epoch final
  training is a `retrain` branch on the last level (README section); BN running statistics are
  reset with the weights (the code keeps them).
- ER_SLT: no biases with scores (ER_SLT scores biases too); the target kept fraction is
  --supermask_density's 0.2 (the note gives none); the first step of level L > 0 takes the level's
  first learning rate (ER_SLT's takes the one its previous level ended with, 1e-4, for that one step).
  As in ER_SLT: one optimiser whose momentum carries across levels (--carry_optimizer), the schedule
  restarting each level, the scores kept from level to level.
- no 10 % validation split (ER_DST, §5.4); GraNet's drop fraction decays to 0 at the end (the code:
  cosine to 0.005).
"""
from __future__ import annotations

from typing import Any

from sparselab.train.recipes import Recipe

NOTE = "random_pruning_behaviour.md"

_STR_CIFAR10: dict[str, Any] = {  # §5.1 step 4: STR/main.py cifar10 config; §5.1, §6.1: ResNet18 with a 3x3 stem
    "dataset_name": "cifar10", "batch_size": 256, "model_name": "cifar_pytorch_resnet_18",
    "model_init": "kaiming_normal", "batchnorm_init": "fixed", "optimizer_name": "sgd", "lr": 0.1, "momentum": 0.9,
    "weight_decay": 1e-4, "schedule": "cosine", "training_steps": "160ep"}

# §5.4 ER_DST; §4.3 README/sample runs (CIFAR-10, 160 epochs): batch 100 (ER_DST default), README weight decay
# 5e-4 (default 1e-4), x0.1 at 50 % / 75 % of the epochs
_ER_DST: dict[str, Any] = {
    "dataset_name": "cifar10", "batch_size": 100, "model_init": "kaiming_normal", "batchnorm_init": "fixed",
    "optimizer_name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4,
    "milestone_steps": "80ep,120ep", "gamma": 0.1, "training_steps": "160ep", "init_pruning_strategy": "random"}

# ER_DST/main.py defaults --flow-preservation and --ortho-repair to on (§5.5): sparselab's repair_flow
# (the strongest weight of a unit left without input or output, not a random one) and ortho_repair.
_STATIC_ER: dict[str, Any] = {**_ER_DST, "model_name": "cifar_pytorch_resnet_18", "init_density": 0.3,
                              "repair_flow": True, "ortho_repair": True}

_STR: dict[str, Any] = {  # §5.2 STR README config
    "dataset_name": "cifar10", "batch_size": 256, "model_name": "cifar_pytorch_resnet_18",
    "model_init": "kaiming_normal", "batchnorm_init": "fixed", "optimizer_name": "sgd", "lr": 0.1, "momentum": 0.9,
    "weight_decay": 1e-3, "schedule": "cosine", "warmup_steps": "5ep", "training_steps": "100ep",
    "label_smoothing": 0.1, "init_density": 0.3, "init_pruning_strategy": "random",
    "init_pruning_distribution": "balanced"}

_ER_SLT: dict[str, Any] = {  # §5.3 ER_SLT: scores only, lr 0.1 /10 every 30 epochs, wd 5e-4, batch 128
    "dataset_name": "cifar10", "batch_size": 128, "do_not_augment": True, "model_name": "cifar_pytorch_resnet_18",
    "batchnorm_init": "fixed", "optimizer_name": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4,
    # ER_SLT sets lr = 0.1 * 0.1^(epoch // 30) after each step, epochs counted from 1: the decay takes
    # effect from the second step of the 30th epoch (0-based iteration 29 * ipe + 1), and so on.
    "milestone_steps": "29ep1it,59ep1it,89ep1it", "gamma": 0.1, "training_steps": "100ep",
    "init_density": 0.5, "init_pruning_strategy": "random", "init_pruning_distribution": "uniform",
    "supermask_start_density": 0.6, "levels": 5, "carry_optimizer": True,
    "bias_init": "zeros"}  # ER_SLT's kn-zero-bias (frozen zero biases, so their scores would do nothing)

RECIPES: dict[str, Recipe] = {
    "s2s_cifar10_resnet18_er_balanced": Recipe(
        "train", "ER static training: ResNet-18 on CIFAR-10 from a random balanced ER mask at density 0.3",
        f"Gadhikar et al. 2023; {NOTE} §1.6, §5.4", {**_STATIC_ER, "init_pruning_distribution": "balanced"}),
    "s2s_cifar10_resnet18_er_pyramidal": Recipe(
        "train", "ER static training: ResNet-18 on CIFAR-10 from a random pyramidal ER mask at density 0.3",
        f"Gadhikar et al. 2023; {NOTE} §1.6, §5.4", {**_STATIC_ER, "init_pruning_distribution": "pyramidal"}),
    "s2s_cifar10_resnet18_imp_from_er": Recipe(
        "lottery", "IMP from ER: ResNet-18 on CIFAR-10, balanced ER mask at 0.3, x0.8 per level, rewind to init, "
                   "15 levels of 150 epochs",
        f"Gadhikar et al. 2023; {NOTE} §5.1 (STR/run_imp.py)",
        {**_STR_CIFAR10, "training_steps": "150ep", "init_density": 0.3, "init_pruning_strategy": "random",
         "init_pruning_distribution": "balanced",
         "pruning_strategy": "magnitude", "pruning_distribution": "global", "pruning_fraction": 0.2,
         "pruning_schedule": "absolute",  # §5.1: d_k = 0.3 * 0.8^k of the whole network, not of what ER kept
         "rewinding_steps": "0ep", "levels": 15}),
    "s2s_cifar10_resnet18_str": Recipe(
        "str", "STR from ER: ResNet-18 on CIFAR-10 inside a balanced ER mask at 0.3, 100 epochs",
        f"Gadhikar et al. 2023; {NOTE} §5.2 (STR README config)", _STR),
    "s2s_cifar10_resnet18_er_slt": Recipe(
        "supermask", "ER strong tickets (edge-popup in a uniform ER mask at 0.5): ResNet-18 on CIFAR-10, 5 levels "
                     "of 100 epochs from kept fraction 0.6",
        f"Gadhikar et al. 2023; {NOTE} §5.3 (ER_SLT)", _ER_SLT),
    "s2s_cifar10_vgg16_granet_from_er": Recipe(
        "train", "GraNet from ER: VGG-16 on CIFAR-10, balanced ER mask at 0.01 pruned gradually to 0.001 by "
                 "epoch 110 with flow preservation, regrowth every 1000 iterations (the README command)",
        f"Gadhikar et al. 2023; {NOTE} §4.3, §5.4 (ER_DST --method GraNet)",
        {**_ER_DST, "model_name": "cifar_vgg_16", "init_density": 0.01, "repair_flow": True,
         "init_pruning_distribution": "balanced", "dst": "granet", "dst_final_density": 0.001,
         "dst_prune_start": "0ep", "dst_prune_end": "110ep", "dst_update_frequency": 1000,
         "dst_drop_fraction": 0.5, "dst_drop_schedule": "cosine", "dst_end": "160ep"}),
}
