"""Physically remove pruned channels: a smaller nn.Module with the same function.

A channel is removed when the mask removed it as a whole (`pruning.channels.removed_channels`: the
producer's row and every follower entry masked); its consumer's input column goes with it. With
gamma = beta = 0 the removed channel was exactly zero after BN and ReLU, so outputs are unchanged.
"""
from __future__ import annotations

import torch
from torch import nn

from sparselab.sparsity.channels import ChannelGroup, channel_groups, removed_channels
from sparselab.sparsity.mask import Mask


def _module_of(model: nn.Module, param: str) -> nn.Module:
    return model.get_submodule(param.rpartition(".")[0])


@torch.no_grad()
def _select(module: nn.Module, index: torch.Tensor, dim: int) -> None:
    """Keep `index` along `dim` of the module's parameters/buffers that have that dimension."""
    names = ("weight", "bias", "running_mean", "running_var") if dim == 0 else ("weight",)
    for name in names:
        t = getattr(module, name, None)
        if not isinstance(t, torch.Tensor):
            continue
        new = t.index_select(dim, index.to(t.device)).clone()
        if isinstance(t, nn.Parameter):
            setattr(module, name, nn.Parameter(new, requires_grad=t.requires_grad))
        else:
            setattr(module, name, new)
    k = int(index.numel())
    if isinstance(module, nn.Conv2d):
        module.out_channels, module.in_channels = (k, module.in_channels) if dim == 0 else (module.out_channels, k)
    elif isinstance(module, nn.Linear):
        module.out_features, module.in_features = (k, module.in_features) if dim == 0 else (module.out_features, k)
    elif isinstance(module, nn.BatchNorm2d):
        module.num_features = k


def shrink(model: nn.Module, keep: dict[str, torch.Tensor]) -> nn.Module:
    """Cut every channel group of `model` to the channels in `keep[producer]` (indices), in place."""
    for g in channel_groups(model):
        if g.producer not in keep:
            continue
        index = keep[g.producer]
        modules = {id(_module_of(model, n)): _module_of(model, n) for n in (g.producer, *g.followers)}
        for module in modules.values():
            _select(module, index, 0)
        _select(_module_of(model, g.consumer), index, 1)
    return model


def kept_channels(model: nn.Module, mask: Mask) -> dict[str, torch.Tensor]:
    """Producer -> indices of the channels that stay (only groups with at least one removed channel)."""
    out = {}
    for g in channel_groups(model):
        gone = removed_channels(mask, g)
        if gone is not None and bool(gone.any()):
            out[g.producer] = (~gone).nonzero().squeeze(1)
    return out


__all__ = ["ChannelGroup", "kept_channels", "shrink"]
