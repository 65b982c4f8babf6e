"""One topology update: per layer drop k = min(ceil(p * n), z) active weights of smallest |w| and grow k of
the z positions inactive BEFORE the update (so grown weights are new), ties by lowest flat index.
`redistribute`: the total drop count is regrown over all layers by the same score."""
from __future__ import annotations

import math
from typing import Mapping

import torch

from sparselab.sparsity.select import keep_top_k

Tensors = Mapping[str, torch.Tensor]


def drop_count(active: int, inactive: int, fraction: float) -> int:
    """ceil(fraction * active), at most the number of positions a layer can grow into."""
    return max(0, min(math.ceil(fraction * active), inactive, active))


def drop_smallest(weight: torch.Tensor, active: torch.Tensor, k: int) -> torch.Tensor:
    """`active` without its `k` smallest-|w| entries."""
    n = int(torch.count_nonzero(active))
    return keep_top_k(weight.detach().abs(), active, n - k)


def grow_largest(scores: torch.Tensor, candidates: torch.Tensor, k: int) -> torch.Tensor:
    """The `k` candidate positions with the largest score."""
    return keep_top_k(scores, candidates, k)


def _split(flat: torch.Tensor, like: Tensors) -> dict[str, torch.Tensor]:
    out, offset = {}, 0
    for name, t in like.items():
        out[name] = flat[offset:offset + t.numel()].view(t.shape)
        offset += t.numel()
    return out


def grow_global(scores: Tensors, candidates: Tensors, k: int) -> dict[str, torch.Tensor]:
    """The `k` positions with the largest score among the candidates of all layers together."""
    flat_scores = torch.cat([scores[n].reshape(-1).float() for n in candidates])
    flat_candidates = torch.cat([c.reshape(-1) for c in candidates.values()])
    return _split(keep_top_k(flat_scores, flat_candidates, k), candidates)


def global_magnitude(weights: Tensors, masks: Tensors, keep: int) -> dict[str, torch.Tensor]:
    """The `keep` active weights of largest |w| over all layers together (GraNet's gradual pruning)."""
    flat_scores = torch.cat([weights[n].detach().reshape(-1).abs().float() for n in masks])
    flat_masks = torch.cat([m.reshape(-1) for m in masks.values()])
    return _split(keep_top_k(flat_scores, flat_masks, keep), masks)


def prune_and_regrow(weights: Tensors, masks: Tensors, candidates: Tensors, scores: Tensors, fraction: float,
                     redistribute: bool = False, pattern: tuple[int, int] | None = None,
                     ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(new masks, grown positions). `candidates` are the growable positions of each layer.

    `pattern` (N:M): growth only where a group has room after the drop (`pruning.pattern`); a layer
    regrows fewer than it dropped when fewer positions are growable."""
    inactive = {n: int(torch.count_nonzero(c)) for n, c in candidates.items()}
    room = sum(inactive.values())
    counts = {}
    for n, m in masks.items():
        counts[n] = drop_count(int(torch.count_nonzero(m)), room if redistribute else inactive[n], fraction)
        if redistribute:  # the regrowth budget cannot exceed the growable positions of the network
            room -= counts[n]
    survivors = {n: drop_smallest(weights[n], m, counts[n]) if counts[n] else m for n, m in masks.items()}
    grow = dict(counts)
    if pattern is not None:
        from sparselab.sparsity.pattern import growth_candidates

        candidates = {n: growth_candidates(c, survivors[n], scores[n], pattern) for n, c in candidates.items()}
        grow = {n: min(k, int(torch.count_nonzero(candidates[n]))) for n, k in counts.items()}
    if redistribute:
        growable = sum(int(torch.count_nonzero(c)) for c in candidates.values())
        grown = grow_global(scores, candidates, min(sum(counts.values()), growable))
    else:
        grown = {n: grow_largest(scores[n], candidates[n], grow[n]) if grow[n] else torch.zeros_like(m)
                 for n, m in masks.items()}
    return {n: survivors[n] | grown[n] for n in masks}, grown
