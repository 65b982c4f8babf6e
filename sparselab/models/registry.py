"""Model names -> families -> initialised models, and `--default_hparams` presets."""
from __future__ import annotations

import torch

from sparselab.core.errors import UsageError
from sparselab.models import cifar_resnet, cifar_vgg, initializers, lenet, resnet
from sparselab.models.base import InputShape, Model, ModelFamily, Preset

FAMILIES: list[ModelFamily] = [lenet.FAMILY, cifar_resnet.FAMILY, cifar_vgg.FAMILY, resnet.CIFAR_PYTORCH,
                               cifar_resnet.WIDE_FAMILY, resnet.TINY_IMAGENET, resnet.IMAGENET, resnet.WIDE_IMAGENET]


def family_of(name: str) -> ModelFamily:
    for family in FAMILIES:
        if family.matches(name):
            return family
    patterns = "; ".join(family.DISPLAY for family in FAMILIES)
    raise UsageError(f"unknown --model_name {name!r}; accepted patterns: {patterns}")


def is_valid(name: str) -> bool:
    try:
        family_of(name).validate(name)
    except UsageError:
        return False
    return True


def build(name: str, input_shape: InputShape, num_classes: int, model_init: str = "kaiming_normal",
          batchnorm_init: str = "uniform", seed: int = 0, bias_init: str = "pytorch") -> Model:
    """Model `name` built and initialised on a forked CPU RNG seeded with `seed` (the caller's RNG is untouched)."""
    family = family_of(name)
    family.validate(name)
    initializers.check_names(model_init, batchnorm_init, bias_init)
    if len(input_shape) != 3 or any(int(d) <= 0 for d in input_shape):
        raise UsageError(f"input_shape must be three positive sizes (C, H, W), got {tuple(input_shape)}")
    if num_classes <= 0:
        raise UsageError(f"num_classes must be a positive integer, got {num_classes}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = family.build(name, tuple(int(d) for d in input_shape), int(num_classes))  # type: ignore[arg-type]
        initializers.initialize(model, model_init, batchnorm_init, bias_init)
    return model


def preset(name: str) -> Preset:
    family = family_of(name)
    family.validate(name)
    values = family.preset(name)
    if values is None:
        raise UsageError(f"model {name!r} has no preset for --default_hparams")
    return dict(values)
