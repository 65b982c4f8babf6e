"""`ReparamNet`: masked weights computed in the forward pass (`effective`) via `functional_call`, the wrapped
`net` never edited; the fixed ER mask is held as non-persistent buffers (supermasks, STR)."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from sparselab.sparsity.mask import Mask


def key(name: str) -> str:
    """A parameter name usable as a module attribute / ParameterDict key ('fc1.weight' -> 'fc1__weight')."""
    return name.replace(".", "__")


class ReparamNet(nn.Module):
    def __init__(self, net: nn.Module, mask: Mask) -> None:
        super().__init__()
        self.net = net
        self.names = list(mask.keys())
        params = mask.check_model(net)
        for name in self.names:
            self.register_buffer(f"mask__{key(name)}", mask[name].to(params[name].device), persistent=False)
        self.input_shape = getattr(net, "input_shape", None)

    def er_mask(self, name: str) -> torch.Tensor:
        return getattr(self, f"mask__{key(name)}")

    def stored(self) -> dict[str, torch.Tensor]:
        params = dict(self.net.named_parameters())
        return {n: params[n] for n in self.names}

    def effective(self, name: str, weight: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def effective_weights(self) -> dict[str, torch.Tensor]:
        return {n: self.effective(n, w) for n, w in self.stored().items()}

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return torch.func.functional_call(self.net, self.effective_weights(), args, kwargs, strict=False)
