"""Growth scores: which inactive positions a topology update activates (largest score first). The
methods that use them are registered in `sparsity/dst/methods.py`.

  random    uniform noise from a generator seeded by (seed, iteration, tensor)  (SET)
  gradient  |dL/dw| of the current mini-batch; dense, because pruned weights are zero but autograd
            still computes their gradient                                        (RigL, GraNet)
  momentum  |m| where m <- beta m + dL/dw is a momentum of the dense gradient kept by the hook;
            the optimiser's own momentum is zero at pruned positions, so it cannot serve (SNFS)
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Mapping

import torch

from sparselab.core.seeds import derive_seed


@dataclasses.dataclass(frozen=True)
class GrowthInputs:
    params: Mapping[str, torch.Tensor]
    momentum: Mapping[str, torch.Tensor]
    seed: int
    iteration: int


GrowthScore = Callable[[GrowthInputs], dict[str, torch.Tensor]]


def random_growth(inputs: GrowthInputs) -> dict[str, torch.Tensor]:
    out = {}
    for name, p in inputs.params.items():
        generator = torch.Generator(device=p.device)
        generator.manual_seed(derive_seed("dst_grow", inputs.seed, inputs.iteration, name))
        out[name] = torch.rand(p.shape, generator=generator, device=p.device)
    return out


def gradient_growth(inputs: GrowthInputs) -> dict[str, torch.Tensor]:
    return {name: p.grad.detach().abs() if p.grad is not None else torch.zeros_like(p)
            for name, p in inputs.params.items()}


def momentum_growth(inputs: GrowthInputs) -> dict[str, torch.Tensor]:
    return {name: inputs.momentum[name].abs() if name in inputs.momentum else torch.zeros_like(p)
            for name, p in inputs.params.items()}

