"""`--default_hparams`: the embedded digits default, the seed papers' recipes and the model families' presets."""
from __future__ import annotations

from typing import Any

from sparselab.core.errors import UsageError
from sparselab.train.recipes import recipe_values  # also lists the recipes in --default_hparams' help

DEFAULT_PRESET = "digits"

# The embedded default: an MLP on scikit-learn's 8x8 digits, trains to ~97-98 % in seconds on a CPU.
DIGITS: dict[str, Any] = {
    "dataset_name": "digits", "batch_size": 64, "model_name": "lenet_300_100", "model_init": "kaiming_normal",
    "optimizer_name": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 1e-4, "training_steps": "20ep",
    "milestone_steps": "15ep", "gamma": 0.1, "pruning_layers_to_ignore": "fc.weight", "finetune_lr": 0.005,
    "finetune_training_steps": "10ep"}


def resolve_preset(name: str | None) -> dict[str, Any]:
    if name is None or name == DEFAULT_PRESET:
        return dict(DIGITS)
    recipe = recipe_values(name)
    if recipe is not None:
        return recipe
    from sparselab.models import registry

    if not (name.isascii() and name.isprintable()):
        raise UsageError(f"--default_hparams: only printable ASCII characters are accepted, got {name!r}")
    if not any(family.matches(name) for family in registry.FAMILIES):
        raise UsageError(f"--default_hparams: no preset {name!r}; use digits, a recipe (listed by --help) or a "
                         "model name such as mnist_lenet_300_100, cifar_resnet_20")
    return dict(registry.preset(name))
