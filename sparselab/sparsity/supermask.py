"""Strong lottery tickets (edge-popup, Ramanujan et al. 2020) inside an ER mask (Gadhikar et al. 2023, ER_SLT).

Frozen weights times top_k(|score|) among the ER positions, k = floor(kept_fraction * n / d) (n the tensor's
ER weights, d the ER density: layer ratios stay the ER network's); straight-through gradient. Scores start
as ER_SLT: Linear Kaiming-uniform (a = sqrt(5)), Conv 0.5; no bias scores (biases are frozen zeros)."""
from __future__ import annotations

import math

import torch
from torch import nn

from sparselab.sparsity.mask import Mask
from sparselab.sparsity.reparam import ReparamNet, key

SCALE_CONV_SCORES = 0.5  # ER_SLT: constant conv scores


def kept_fractions(start: float, target: float, er_density: float, levels: int) -> list[float]:
    """ER_SLT's annealing of levels 1..L: k_l = clip(k_{l-1} * (target/start)^(1/L), target, d), carried on."""
    b = (target / start) ** (1.0 / levels)
    k, out = start, []
    for _ in range(levels):
        k = max(min(k * b, er_density), target)
        out.append(k)
    return out


class TopK(torch.autograd.Function):
    """0/1 tensor of the `count` largest `values` inside `allowed`; straight-through gradient."""

    @staticmethod
    def forward(ctx, values: torch.Tensor, allowed: torch.Tensor, count: int) -> torch.Tensor:
        flat = values.detach().reshape(-1).masked_fill(~allowed.reshape(-1), float("-inf"))
        out = torch.zeros_like(flat)
        out[torch.topk(flat, count, sorted=False).indices] = 1
        return out.view_as(values)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad, None, None


def init_scores(weight: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    scores = torch.empty(weight.shape, dtype=weight.dtype)
    if weight.dim() > 2:
        return scores.fill_(SCALE_CONV_SCORES)
    nn.init.kaiming_uniform_(scores, a=math.sqrt(5), generator=generator)
    return scores


class SupermaskNet(ReparamNet):
    def __init__(self, net: nn.Module, er_mask: Mask, seed: int) -> None:
        super().__init__(net, er_mask)
        for p in net.parameters():
            p.requires_grad_(False)
        generator = torch.Generator().manual_seed(seed)
        self.scores = nn.ParameterDict({key(n): nn.Parameter(init_scores(w, generator).to(w.device))
                                        for n, w in self.stored().items()})
        self.er_kept = er_mask.kept_per_tensor()
        self.er_density = er_mask.density
        self.counts: dict[str, int] = {}
        self.kept_fraction = 1.0
        self.set_kept_fraction(er_mask.density)

    def set_kept_fraction(self, fraction: float) -> None:
        self.kept_fraction = fraction
        self.counts = {n: min(kept, max(1, math.floor(fraction * kept / self.er_density + 1e-9)))
                       for n, kept in self.er_kept.items()}

    def selection(self, name: str) -> torch.Tensor:
        return TopK.apply(self.scores[key(name)].abs(), self.er_mask(name), self.counts[name])

    def effective(self, name: str, weight: torch.Tensor) -> torch.Tensor:
        return weight * self.selection(name)

    @torch.no_grad()
    def selected(self) -> Mask:
        """The supermask: the positions the forward pass uses now."""
        return Mask({n: self.selection(n).bool().cpu() for n in self.names})
