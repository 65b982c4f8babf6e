"""Weight and BatchNorm initialisers, chosen by name (`--model_init`, `--batchnorm_init`).

Weight initialisers act on the weight of every Conv2d and Linear; BatchNorm initialisers on every
BatchNorm layer. Biases of Conv2d and Linear are set to zero: the old code left PyTorch's default
U(+-1/sqrt(fan_in)) biases in place, which made the initial network depend on an undocumented
second distribution; zero biases make the initial state a function of the two named rules and the
seed alone (torchvision-style ResNets have no conv biases, so only fc, VGG and LeNet change).
BatchNorm running statistics are reset to mean 0, variance 1.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from sparselab.foundations.errors import UsageError
from sparselab.models.base import PRUNABLE_TYPES

WeightInit = Callable[[torch.Tensor], None]
BatchNormInit = Callable[[_BatchNorm], None]


def _kaiming_normal(weight: torch.Tensor) -> None:
    nn.init.kaiming_normal_(weight)  # fan_in, gain sqrt(2): N(0, 2 / fan_in)


def _kaiming_uniform(weight: torch.Tensor) -> None:
    nn.init.kaiming_uniform_(weight, a=0.0)  # U(-sqrt(6 / fan_in), +sqrt(6 / fan_in))


def _orthogonal(weight: torch.Tensor) -> None:
    nn.init.orthogonal_(weight)


def _binary(weight: torch.Tensor) -> None:
    """Kaiming normal, then every entry becomes sign(w) * std(w) of its tensor: two values, +-c."""
    nn.init.kaiming_normal_(weight)
    weight.copy_(torch.sign(weight) * weight.std())


def _bn_uniform(bn: _BatchNorm) -> None:
    nn.init.uniform_(bn.weight, 0.0, 1.0)
    nn.init.zeros_(bn.bias)


def _bn_fixed(bn: _BatchNorm) -> None:
    nn.init.ones_(bn.weight)
    nn.init.zeros_(bn.bias)


def _bn_oneone(bn: _BatchNorm) -> None:
    nn.init.ones_(bn.weight)
    nn.init.ones_(bn.bias)


def _bn_positivenegative(bn: _BatchNorm) -> None:
    nn.init.uniform_(bn.weight, -1.0, 1.0)
    nn.init.zeros_(bn.bias)


WEIGHT_INITIALIZERS: dict[str, WeightInit] = {
    "kaiming_normal": _kaiming_normal,
    "kaiming_uniform": _kaiming_uniform,
    "orthogonal": _orthogonal,
    "binary": _binary,
}

BATCHNORM_INITIALIZERS: dict[str, BatchNormInit] = {
    "uniform": _bn_uniform,
    "fixed": _bn_fixed,
    "oneone": _bn_oneone,
    "positivenegative": _bn_positivenegative,
}


def check_names(model_init: str, batchnorm_init: str) -> None:
    """UsageError naming the accepted values if either initialiser name is unknown."""
    if model_init not in WEIGHT_INITIALIZERS:
        raise UsageError(f"unknown --model_init {model_init!r}; choose from {', '.join(WEIGHT_INITIALIZERS)}")
    if batchnorm_init not in BATCHNORM_INITIALIZERS:
        raise UsageError(
            f"unknown --batchnorm_init {batchnorm_init!r}; choose from {', '.join(BATCHNORM_INITIALIZERS)}"
        )


@torch.no_grad()
def initialize(model: nn.Module, model_init: str, batchnorm_init: str) -> None:
    """Initialise every prunable layer and BatchNorm of `model` in place, in `modules()` order."""
    check_names(model_init, batchnorm_init)
    weight_init = WEIGHT_INITIALIZERS[model_init]
    bn_init = BATCHNORM_INITIALIZERS[batchnorm_init]
    for module in model.modules():
        if isinstance(module, PRUNABLE_TYPES):
            weight_init(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, _BatchNorm):
            if module.affine:
                bn_init(module)
            if module.track_running_stats:
                module.reset_running_stats()
