"""N:M sparsity: at most N kept weights in every group of M consecutive INPUT weights (a conv seen as
(out, kh, kw, in), as sparse tensor cores read it; a short trailing group also keeps <= N). Pruning first
takes the top-N per group (`eligible`), then allocates inside that set; fewer eligible than asked: all kept."""
from __future__ import annotations

import math
import re
from typing import Mapping

import torch

from sparselab.core.errors import UsageError

Pattern = tuple[int, int]


def parse_pattern(text: str | None) -> Pattern | None:
    """'2:4' -> (2, 4); None -> None; UsageError unless 1 <= N < M <= 1024."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*([0-9]{1,5})\s*:\s*([0-9]{1,5})\s*", text, re.ASCII)
    if not match:
        raise UsageError(f"--sparsity_pattern must be N:M (e.g. 2:4), got {text!r}")
    n, m = int(match.group(1)), int(match.group(2))
    if not 1 <= n < m <= 1024:
        raise UsageError(f"--sparsity_pattern {text}: need 1 <= N < M <= 1024")
    return n, m


def check_density(pattern: Pattern | None, density: float | None, what: str) -> None:
    """One-line refusal of a target density above N/M."""
    if pattern is None or density is None:
        return
    n, m = pattern
    if density > n / m + 1e-12:
        raise UsageError(f"--sparsity_pattern={n}:{m} allows at most density {n}/{m} = {n / m:g}, "
                         f"but {what} is {density:g}")


def _rows(t: torch.Tensor) -> torch.Tensor:
    """The weight as rows of input weights: (out, in) for a Linear, (out * kh * kw, in) for a conv."""
    if t.dim() == 4:
        return t.permute(0, 2, 3, 1).reshape(-1, t.shape[1])
    return t.reshape(t.shape[0], -1) if t.dim() > 1 else t.reshape(1, -1)


def _groups(t: torch.Tensor, m: int, fill: float | bool) -> torch.Tensor:
    """(rows, groups, m) view of `t`'s input rows (`_rows`), padded with `fill` to a multiple of m."""
    rows = _rows(t)
    pad = (-rows.shape[1]) % m
    if pad:
        rows = torch.cat([rows, torch.full((rows.shape[0], pad), fill, dtype=rows.dtype, device=rows.device)], 1)
    return rows.reshape(rows.shape[0], -1, m)


def _ungroup(g: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    rows = g.reshape(g.shape[0], -1)[:, :_rows(like).shape[1]]
    if like.dim() == 4:
        o, c, kh, kw = like.shape
        return rows.reshape(o, kh, kw, c).permute(0, 3, 1, 2).contiguous()
    return rows.reshape(like.shape)


def group_counts(mask: torch.Tensor, m: int) -> torch.Tensor:
    return _groups(mask.bool(), m, False).sum(-1)


def satisfies_pattern(mask: torch.Tensor | Mapping[str, torch.Tensor], n: int, m: int) -> bool:
    """Whether every group of M input weights keeps at most N non-zeros (a mapping: every tensor of >= 2 dims)."""
    if isinstance(mask, Mapping):
        return all(satisfies_pattern(t, n, m) for t in mask.values() if isinstance(t, torch.Tensor) and t.dim() >= 2)
    return bool((group_counts(mask != 0, m) <= n).all())


def top_per_group(scores: torch.Tensor, candidates: torch.Tensor, n: int, m: int,
                  room: torch.Tensor | None = None) -> torch.Tensor:
    """In every group the `room` (default N) best candidates, ties by lowest index, NaN lowest."""
    values = torch.where(candidates, scores.float().nan_to_num(nan=-math.inf), torch.tensor(-math.inf))
    g_values = _groups(values, m, -math.inf)
    g_cand = _groups(candidates, m, False)
    order = torch.sort(g_values, dim=-1, descending=True, stable=True).indices
    rank = torch.empty_like(order)
    rank.scatter_(-1, order, torch.arange(m, device=order.device).expand_as(order).contiguous())
    cap = torch.full(g_values.shape[:2], n, device=values.device) if room is None else room
    keep = g_cand & (rank < cap.unsqueeze(-1))
    return _ungroup(keep, candidates)


def eligible(scores: Mapping[str, torch.Tensor], mask: Mapping[str, torch.Tensor], pattern: Pattern) -> dict:
    n, m = pattern
    return {name: top_per_group(scores[name].to(c.device), c, n, m) for name, c in mask.items()}


def growth_candidates(candidates: torch.Tensor, survivors: torch.Tensor, scores: torch.Tensor,
                      pattern: Pattern) -> torch.Tensor:
    """DST: growable positions keeping N:M (room per group = N minus the survivors of the drop)."""
    n, m = pattern
    room = (n - group_counts(survivors, m)).clamp(min=0)
    return top_per_group(scores, candidates, n, m, room=room)
