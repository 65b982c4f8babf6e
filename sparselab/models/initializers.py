"""Initialisers chosen by name: `--model_init` (every Conv2d/Linear weight), `--batchnorm_init` (BatchNorm affine;
running statistics reset to mean 0, variance 1) and `--bias_init` (`pytorch` keeps the U(+-1/sqrt(fan_in)) biases
drawn at construction, as OpenLTH, SDD and Random_Pruning do; `zeros`: sparselab before 2026-12)."""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from sparselab.core.errors import UsageError
from sparselab.models.base import PRUNABLE_TYPES

WeightInit = Callable[[torch.Tensor], object]
BatchNormInit = Callable[[_BatchNorm], None]


def _binary(weight: torch.Tensor) -> None:
    """Kaiming normal, then every entry becomes sign(w) * std(w) of its tensor: two values, +-c."""
    nn.init.kaiming_normal_(weight)
    weight.copy_(torch.sign(weight) * weight.std())


WEIGHT_INITIALIZERS: dict[str, WeightInit] = {
    "kaiming_normal": nn.init.kaiming_normal_,  # fan_in, gain sqrt(2): N(0, 2 / fan_in)
    "kaiming_uniform": lambda weight: nn.init.kaiming_uniform_(weight, a=0.0),  # U(+-sqrt(6 / fan_in))
    "orthogonal": nn.init.orthogonal_,
    "binary": _binary,
}


def _batchnorm(weight: WeightInit, bias: WeightInit) -> BatchNormInit:
    def init(bn: _BatchNorm) -> None:
        weight(bn.weight)
        bias(bn.bias)
    return init


BATCHNORM_INITIALIZERS: dict[str, BatchNormInit] = {
    "uniform": _batchnorm(lambda weight: nn.init.uniform_(weight, 0.0, 1.0), nn.init.zeros_),
    "fixed": _batchnorm(nn.init.ones_, nn.init.zeros_),
    "oneone": _batchnorm(nn.init.ones_, nn.init.ones_),
    "positivenegative": _batchnorm(lambda weight: nn.init.uniform_(weight, -1.0, 1.0), nn.init.zeros_),
}
# pytorch: the bias the layer's constructor drew (under the model's seed) stays.
BIAS_INITIALIZERS: dict[str, WeightInit] = {"pytorch": lambda bias: None, "zeros": nn.init.zeros_}


def check_names(model_init: str, batchnorm_init: str, bias_init: str = "pytorch") -> None:
    """UsageError naming the accepted values if an initialiser name is unknown."""
    for flag, value, table in (("model_init", model_init, WEIGHT_INITIALIZERS),
                               ("batchnorm_init", batchnorm_init, BATCHNORM_INITIALIZERS),
                               ("bias_init", bias_init, BIAS_INITIALIZERS)):
        if value not in table:
            raise UsageError(f"unknown --{flag} {value!r}; choose from {', '.join(table)}")


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
