"""Growth scores (largest grown first): random (SET, seeded by (seed, iteration, tensor)); gradient (RigL,
GraNet: the dense |dL/dw|); momentum (SNFS: |m| of the hook's dense-gradient momentum, since the
optimiser's is zero at pruned positions)."""
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
