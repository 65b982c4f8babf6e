"""`--default_hparams=<model name>` presets: flat dicts of bundle field names (fields left out keep their
defaults; `pruning_strategy` is left to the pruning bundle on purpose). Fine-tuning values follow Sparse
Double Descent; where it had none (LeNet, WRN) the LR is the training LR / 10 or / 100 at the same length."""
from __future__ import annotations

from sparselab.models.base import Preset

_COMMON: Preset = {"model_init": "kaiming_normal", "batchnorm_init": "uniform", "optimizer_name": "sgd",
                   "nesterov": False, "pruning_fraction": 0.2}

MNIST_LENET: Preset = {**_COMMON, "dataset_name": "mnist", "batch_size": 128, "lr": 0.1, "momentum": 0.0,
                       "training_steps": "40ep", "pruning_layers_to_ignore": "fc.weight", "finetune_lr": 0.01,
                       "finetune_training_steps": "40ep"}

CIFAR10_RESNET: Preset = {**_COMMON, "dataset_name": "cifar10", "batch_size": 128, "lr": 0.1, "momentum": 0.9,
                          "weight_decay": 1e-4, "milestone_steps": "80ep,120ep", "gamma": 0.1,
                          "training_steps": "160ep", "pruning_layers_to_ignore": "", "finetune_lr": 0.001,
                          "finetune_training_steps": "160ep"}

CIFAR10_VGG: Preset = {**CIFAR10_RESNET, "pruning_layers_to_ignore": "fc.weight"}

CIFAR100_PYTORCH_RESNET: Preset = {**CIFAR10_RESNET, "dataset_name": "cifar100"}

CIFAR10_WIDE_RESNET: Preset = {**_COMMON, "dataset_name": "cifar10", "batch_size": 128, "lr": 0.1,
                               "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4,
                               "milestone_steps": "60ep,120ep,160ep", "gamma": 0.2, "training_steps": "200ep",
                               "pruning_layers_to_ignore": "", "finetune_lr": 0.001,
                               "finetune_training_steps": "200ep"}

TINY_IMAGENET_RESNET: Preset = {**_COMMON, "dataset_name": "tiny_imagenet", "batch_size": 256, "lr": 0.2,
                                "momentum": 0.9, "weight_decay": 1e-4, "warmup_steps": "5ep",
                                "milestone_steps": "100ep,150ep", "gamma": 0.1, "training_steps": "200ep",
                                "pruning_layers_to_ignore": "", "finetune_lr": 1e-4,
                                "finetune_training_steps": "30ep"}

IMAGENET_RESNET: Preset = {**_COMMON, "dataset_name": "imagenet", "batch_size": 1024, "lr": 0.4, "momentum": 0.9,
                           "weight_decay": 1e-4, "warmup_steps": "5ep", "milestone_steps": "30ep,60ep,80ep",
                           "gamma": 0.1, "training_steps": "90ep", "pruning_layers_to_ignore": "",
                           "finetune_lr": 1e-4, "finetune_training_steps": "30ep"}
