"""Weight and BatchNorm initialisers, chosen by name (`--model_init`, `--batchnorm_init`).

Weight initialisers act on the weight of every Conv2d and Linear; BatchNorm initialisers on every
BatchNorm layer; bias initialisers (`--bias_init`) on the biases of Conv2d and Linear. The default,
`pytorch`, keeps the U(+-1/sqrt(fan_in)) biases PyTorch drew when the layer was constructed (under the
model's seed), as OpenLTH, SDD and Random_Pruning do: they re-initialise weights only. `zeros` is what
sparselab did before 2026-12 (its directories keep their names under `--bias_init=zeros`).
BatchNorm running statistics are reset to mean 0, variance 1.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from sparselab.core.errors import UsageError
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


def _keep_constructed(bias: torch.Tensor) -> None:
    """PyTorch's default bias: already drawn by the layer's constructor; nothing to redo."""


BIAS_INITIALIZERS: dict[str, WeightInit] = {"pytorch": _keep_constructed, "zeros": nn.init.zeros_}


def check_names(model_init: str, batchnorm_init: str, bias_init: str = "pytorch") -> None:
    """UsageError naming the accepted values if either initialiser name is unknown."""
    if model_init not in WEIGHT_INITIALIZERS:
        raise UsageError(f"unknown --model_init {model_init!r}; choose from {', '.join(WEIGHT_INITIALIZERS)}")
    if batchnorm_init not in BATCHNORM_INITIALIZERS:
        raise UsageError(
            f"unknown --batchnorm_init {batchnorm_init!r}; choose from {', '.join(BATCHNORM_INITIALIZERS)}"
        )
    if bias_init not in BIAS_INITIALIZERS:
        raise UsageError(f"unknown --bias_init {bias_init!r}; choose from {', '.join(BIAS_INITIALIZERS)}")


@torch.no_grad()
def initialize(model: nn.Module, model_init: str, batchnorm_init: str, bias_init: str = "pytorch") -> None:
    """Initialise every prunable layer and BatchNorm of `model` in place, in `modules()` order."""
    check_names(model_init, batchnorm_init, bias_init)
    weight_init = WEIGHT_INITIALIZERS[model_init]
    bn_init = BATCHNORM_INITIALIZERS[batchnorm_init]
    init_bias = BIAS_INITIALIZERS[bias_init]
    for module in model.modules():
        if isinstance(module, PRUNABLE_TYPES):
            weight_init(module.weight)
            if module.bias is not None:
                init_bias(module.bias)
        elif isinstance(module, _BatchNorm):
            if module.affine:
                bn_init(module)
            if module.track_running_stats:
                module.reset_running_stats()
