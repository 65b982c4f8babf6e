"""Out-of-distribution detection as pure functions of scores: higher score = more in-distribution.

  msp(logits)      max_c softmax(logits)_c                 (Hendrycks & Gimpel 2017)
  energy(logits)   logsumexp_c logits_c = -E(x; T=1)       (Liu et al. 2020; the negative energy)
  auroc(s_in, s_out)  P(s_in > s_out) + P(s_in = s_out) / 2 over all (in, out) pairs: the area under
                   the ROC curve with in-distribution as the positive class (ties count half)
  fpr_at_tpr(s_in, s_out, 0.95)  the threshold t is the largest value with at least 95 % of the
                   in-distribution scores >= t (the ceil(0.95 n_in)-th largest in-score); the result is
                   the fraction of OOD scores >= t (FPR@95%TPR)
"""
from __future__ import annotations

import math

import torch


def msp(logits: torch.Tensor) -> torch.Tensor:
    return torch.softmax(logits.double(), dim=1).max(dim=1).values


def energy(logits: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(logits.double(), dim=1)


def _check(s_in: torch.Tensor, s_out: torch.Tensor) -> None:
    if s_in.dim() != 1 or s_out.dim() != 1 or s_in.numel() == 0 or s_out.numel() == 0:
        raise ValueError(f"expected two non-empty score vectors, got {tuple(s_in.shape)} and {tuple(s_out.shape)}")


def auroc(s_in: torch.Tensor, s_out: torch.Tensor) -> float:
    """Mann-Whitney U / (n_in n_out) from average ranks (ties get their mean rank): O(n log n)."""
    _check(s_in, s_out)
    scores = torch.cat([s_in.double(), s_out.double()])
    values, inverse, counts = torch.unique(scores, sorted=True, return_inverse=True, return_counts=True)
    ends = torch.cumsum(counts, 0).double()
    mean_rank = ends - (counts.double() - 1) / 2  # 1-based average rank of each distinct value
    ranks = mean_rank[inverse]
    n_in, n_out = s_in.numel(), s_out.numel()
    u = ranks[:n_in].sum().item() - n_in * (n_in + 1) / 2
    return u / (n_in * n_out)


def fpr_at_tpr(s_in: torch.Tensor, s_out: torch.Tensor, tpr: float = 0.95) -> float:
    _check(s_in, s_out)
    if not 0 < tpr <= 1:
        raise ValueError(f"tpr must be in (0, 1], got {tpr}")
    k = math.ceil(tpr * s_in.numel() - 1e-9)  # at least this many in-distribution scores pass
    threshold = torch.sort(s_in.double(), descending=True).values[k - 1]
    return (s_out.double() >= threshold).double().mean().item()


def detection(logits_in: torch.Tensor, logits_out: torch.Tensor) -> dict[str, float]:
    """AUROC and FPR@95%TPR of the max-softmax and energy scores."""
    out = {}
    for name, score in (("msp", msp), ("energy", energy)):
        s_in, s_out = score(logits_in), score(logits_out)
        out[f"auroc_{name}"] = auroc(s_in, s_out)
        out[f"fpr95_{name}"] = fpr_at_tpr(s_in, s_out, 0.95)
    return out
