"""Channel (filter) pruning = channel score x channel allocation; masks remove whole output channels.

Removable (`channel_groups`): the inner conv of every ResNet block (block outputs are summed with the
residual, shared by the stage) and the hidden units of a LeNet MLP. Removing channel c masks row c of the
producer, entry c of its followers (bias, next BN's gamma and beta: the channel is exactly 0 after BN and
ReLU) and column c of the consumer, so densities/FLOPs read from the mask are honest. A level removes
ceil(p * C) channels for network_slimming (SDD), round(p * C) for the filter norms; >= 1 kept per layer."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.sparsity.hparams import PruningHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.scores import CHANNEL_SCORE_MODULES
from sparselab.sparsity.select import keep_top_k, largest_remainder


@dataclass(frozen=True)
class ChannelGroup:
    producer: str                  # weight whose output channels (dim 0) are removable
    followers: tuple[str, ...]     # per-channel parameters removed with them (bias, next BN weight/bias)
    consumer: str                  # weight whose input channels (dim 1) read them
    bn: str | None = None          # the following BatchNorm's weight (network slimming's gamma)


@torch.no_grad()
def _feeds(model: nn.Module, pairs: list[tuple[nn.Module, nn.Module]]) -> list[bool]:
    """For each (conv, bn): whether bn reads conv's output (post-activation blocks; not pre-activation)."""
    shape = getattr(model, "input_shape", None)
    if shape is None:
        return [True] * len(pairs)
    outputs: dict[int, object] = {}
    inputs: dict[int, object] = {}
    handles: list = []
    for conv, bn in pairs:
        handles.append(conv.register_forward_hook(lambda m, i, o: outputs.__setitem__(id(m), o)))
        handles.append(bn.register_forward_hook(lambda m, i, o: inputs.__setitem__(id(m), i[0])))
    was_training = model.training
    try:
        model.eval()
        param = next(model.parameters())
        model(torch.zeros((1, *shape), device=param.device, dtype=param.dtype))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return [inputs.get(id(bn)) is outputs.get(id(conv)) is not None for conv, bn in pairs]


def _block_groups(model: nn.Module) -> list[ChannelGroup]:
    groups, pairs = [], []
    for name, module in model.named_modules():
        conv1, bn1, conv2 = (getattr(module, a, None) for a in ("conv1", "bn1", "conv2"))
        if (isinstance(conv1, nn.Conv2d) and isinstance(bn1, nn.BatchNorm2d) and isinstance(conv2, nn.Conv2d)
                and conv1.groups == 1 and conv2.groups == 1 and conv2.in_channels == conv1.out_channels):
            p = f"{name}." if name else ""
            followers = [f"{p}bn1.weight", f"{p}bn1.bias"] + ([f"{p}conv1.bias"] if conv1.bias is not None else [])
            groups.append(ChannelGroup(f"{p}conv1.weight", tuple(followers), f"{p}conv2.weight", f"{p}bn1.weight"))
            pairs.append((conv1, bn1))
    return [g for g, ok in zip(groups, _feeds(model, pairs)) if ok] if groups else []


def _mlp_groups(model: nn.Module) -> list[ChannelGroup]:
    layers = getattr(model, "fc_layers", None)
    if not isinstance(layers, nn.ModuleList) or not isinstance(getattr(model, "fc", None), nn.Linear):
        return []
    names = [f"fc_layers.{i}" for i in range(len(layers))] + ["fc"]
    return [ChannelGroup(f"{a}.weight", (f"{a}.bias",) if layers[i].bias is not None else (), f"{b}.weight")
            for i, (a, b) in enumerate(zip(names[:-1], names[1:]))]


def channel_groups(model: nn.Module) -> list[ChannelGroup]:
    """The removable channel groups of `model` in module order (UsageError when it has none)."""
    groups = _block_groups(model) or _mlp_groups(model)
    if not groups:
        raise UsageError(f"channel pruning supports ResNet blocks (conv1-bn1-conv2) and LeNet MLPs; "
                         f"{type(model).__name__} has no removable channels")
    return groups


def alive(mask: Mask, group: ChannelGroup, shape: torch.Size) -> torch.Tensor:
    """Bool per output channel: whether the mask keeps any weight of the producer's row."""
    if group.producer not in mask:
        return torch.ones(shape[0], dtype=torch.bool)
    return mask[group.producer].reshape(shape[0], -1).any(1)


def channel_scores(model: nn.Module, groups: list[ChannelGroup], strategy: str) -> dict[str, torch.Tensor]:
    """The registered channel score of every group's output channels (`pruning.scores`, `channels = True`)."""
    if strategy not in CHANNEL_SCORE_MODULES:
        raise UsageError(f"unknown channel score {strategy!r}; choose from {', '.join(CHANNEL_SCORE_MODULES)}")
    score = CHANNEL_SCORE_MODULES[strategy].channel_score
    params = dict(model.named_parameters())
    out = {}
    for g in groups:
        w = params[g.producer].detach().float().cpu().reshape(params[g.producer].shape[0], -1)
        bn = params[g.bn].detach().float().cpu() if g.bn is not None else None
        out[g.producer] = score(w, bn, g.producer)
    return out


def channel_removal_count(strategy: str, fraction: float, total: int) -> int:
    """Channels a level removes: the score's `channel_count` (network_slimming: ceil), else round(p * C)."""
    count = getattr(CHANNEL_SCORE_MODULES[strategy], "channel_count", None)
    return count(fraction, total) if count is not None else round(fraction * total)


def channel_keep(scores: dict[str, torch.Tensor], live: dict[str, torch.Tensor], remove: int,
                 distribution: str) -> dict[str, torch.Tensor]:
    """Bool per channel of each layer after removing `remove` live channels (>= 1 kept per layer)."""
    counts = {n: int(a.sum()) for n, a in live.items()}
    keep_total = sum(counts.values()) - remove
    floors = {n: min(1, c) for n, c in counts.items()}
    if keep_total < sum(floors.values()):
        raise UsageError(f"channel pruning: removing {remove} of {sum(counts.values())} channels would empty a "
                         "layer; use fewer levels or a smaller --pruning_fraction")
    if distribution == "layerwise":
        fraction = keep_total / sum(counts.values())
        per = largest_remainder({n: c * fraction for n, c in counts.items()}, counts, keep_total, floors)
        return {n: keep_top_k(scores[n], live[n], per[n]) for n in live}
    # global: the floor channel (best) of every layer first, then one ranking over the rest
    best = {n: keep_top_k(scores[n], live[n], floors[n]) for n in live}
    rest = torch.cat([torch.where(best[n], torch.tensor(-math.inf), scores[n]) for n in live])
    cand = torch.cat([live[n] & ~best[n] for n in live])
    chosen = keep_top_k(rest, cand, keep_total - sum(floors.values()))
    out, offset = {}, 0
    for n in live:
        out[n] = chosen[offset:offset + live[n].numel()] | best[n]
        offset += live[n].numel()
    return out


def apply_channels(model: nn.Module, mask: Mask, groups: list[ChannelGroup], keep: dict[str, torch.Tensor]) -> Mask:
    """`mask` with producer rows, follower entries and consumer columns of removed channels set False."""
    params = dict(model.named_parameters())
    out = mask.clone()
    for g in groups:
        k = keep[g.producer]
        for name in (g.producer, *g.followers):
            m = out[name] if name in out else torch.ones(params[name].shape, dtype=torch.bool)
            out[name] = m & k.view(-1, *([1] * (m.dim() - 1)))
        c = out[g.consumer] if g.consumer in out else torch.ones(params[g.consumer].shape, dtype=torch.bool)
        out[g.consumer] = c & k.view(1, -1, *([1] * (c.dim() - 2)))
    return out


def prune_channels(model: nn.Module, counted: Mask, frozen: Mask, hparams: "PruningHparams",
                   context: object = None) -> Mask:
    """One channel-pruning level (see the module docstring); tensors in the ignore list are not pruned."""
    ignore = set(hparams.layers_to_ignore)
    params = dict(model.named_parameters())
    groups = [g for g in channel_groups(model) if g.producer not in ignore and g.consumer not in ignore]
    if not groups:
        raise UsageError("channel pruning: every removable layer is in --pruning_layers_to_ignore")
    scores = channel_scores(model, groups, hparams.pruning_strategy)
    live = {g.producer: alive(counted, g, params[g.producer].shape) for g in groups}
    total = sum(int(a.sum()) for a in live.values())
    remove = channel_removal_count(hparams.pruning_strategy, hparams.pruning_fraction, total)
    keep = channel_keep(scores, live, remove, hparams.pruning_distribution)
    new = apply_channels(model, counted, groups, keep)
    for name, m in frozen.items():
        new[name] = m
    return new


def removed_channels(mask: Mask, group: ChannelGroup) -> torch.Tensor | None:
    """Bool per channel: removed as a whole (producer row and every follower entry masked), or None."""
    if group.producer not in mask or any(f not in mask for f in group.followers):
        return None
    gone = ~mask[group.producer].reshape(mask[group.producer].shape[0], -1).any(1)
    for f in group.followers:
        gone &= ~mask[f]
    return gone
