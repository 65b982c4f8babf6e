"""Multiply-adds of one example's forward pass (hooks on every Conv2d and Linear): weights x output positions, all
weights (dense) or kept ones (sparse: the mask's, else the non-zero weights). Biases, normalisation, activations and
pooling are not counted (the pruning literature's convention, e.g. Evci et al. 2020)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import torch
from torch import nn

from sparselab.models.base import PRUNABLE_TYPES


@dataclass(frozen=True)
class MultiplyAdds:
    dense: int
    sparse: int

    @property
    def fraction(self) -> float:
        return self.sparse / self.dense if self.dense else 1.0


def _positions(module: nn.Module, output: torch.Tensor) -> int:
    if isinstance(module, nn.Conv2d):
        return int(output[0, 0].numel())
    return int(output[0].numel() // module.out_features)


def _kept(name: str, module: nn.Module, mask: Mapping[str, torch.Tensor] | None) -> int:
    key = f"{name}.weight" if name else "weight"
    if mask is not None and key in mask:
        return int(torch.as_tensor(mask[key]).bool().sum().item())
    if module.weight.is_meta:  # shapes only (a model built on the meta device): the layer is dense
        return module.weight.numel()
    return int(torch.count_nonzero(module.weight.detach()).item())


def multiply_adds(model: nn.Module, input_shape: tuple[int, ...],
                  mask: Mapping[str, torch.Tensor] | None = None) -> MultiplyAdds:
    """On one input of shape `input_shape` (no batch dimension); `mask`: `<module>.weight` -> boolean tensor."""
    totals = {"dense": 0, "sparse": 0}
    handles = []
    for name, module in model.named_modules():
        if not isinstance(module, PRUNABLE_TYPES):
            continue

        def hook(mod: nn.Module, _inputs: object, output: torch.Tensor, name: str = name) -> None:
            positions = _positions(mod, output)
            totals["dense"] += mod.weight.numel() * positions
            totals["sparse"] += _kept(name, mod, mask) * positions

        handles.append(module.register_forward_hook(hook))
    was_training = model.training
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    dtype = parameter.dtype if parameter is not None and parameter.is_floating_point() else torch.float32
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *input_shape), device=device, dtype=dtype))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return MultiplyAdds(dense=totals["dense"], sparse=totals["sparse"])
