"""Ensemble metrics as pure functions of predicted probabilities (N x C) and labels (N), means over the examples.
nll floors p_y at 1e-12 (a confident miss stays finite); brier is the multi-class score in [0, 2]; ece uses 15
equal-width bins (b/15, (b+1)/15] of max_c p_c (confidence 0 in the first), the standard definition, not the
FreeTickets code's 14 effective bins; kl[i, j] = KL(p_i || p_j) with 0 log 0 = 0; the ensemble is the mean of the
members' softmax; pairwise means average all ordered pairs i != j.
"""
from __future__ import annotations

from typing import Sequence

import torch

EPS = 1e-12
DEFAULT_BINS = 15


def _check(probs: torch.Tensor, labels: torch.Tensor) -> None:
    if probs.dim() != 2 or labels.dim() != 1 or probs.shape[0] != labels.shape[0]:
        raise ValueError(f"expected probs N x C and labels N, got {tuple(probs.shape)} and {tuple(labels.shape)}")


def softmax(logits: torch.Tensor) -> torch.Tensor:
    return torch.softmax(logits.double(), dim=1)


def accuracy(probs: torch.Tensor, labels: torch.Tensor) -> float:
    _check(probs, labels)
    return (probs.argmax(dim=1) == labels).double().mean().item()


def nll(probs: torch.Tensor, labels: torch.Tensor) -> float:
    _check(probs, labels)
    picked = probs.double().gather(1, labels.view(-1, 1)).squeeze(1)
    return (-picked.clamp_min(EPS).log()).mean().item()


def brier(probs: torch.Tensor, labels: torch.Tensor) -> float:
    _check(probs, labels)
    onehot = torch.nn.functional.one_hot(labels, probs.shape[1]).double()
    return ((probs.double() - onehot) ** 2).sum(dim=1).mean().item()


def calibration_bins(probs: torch.Tensor, labels: torch.Tensor, bins: int = DEFAULT_BINS) -> dict[str, list]:
    """Per equal-width confidence bin: example count, accuracy and mean confidence (None if empty)."""
    _check(probs, labels)
    confidence, predicted = probs.double().max(dim=1)
    correct = (predicted == labels).double()
    index = (torch.ceil(confidence * bins).long() - 1).clamp(0, bins - 1)
    counts = torch.bincount(index, minlength=bins)
    acc_sum = torch.zeros(bins, dtype=torch.float64).index_add_(0, index, correct)
    conf_sum = torch.zeros(bins, dtype=torch.float64).index_add_(0, index, confidence)
    out: dict[str, list] = {"lower": [b / bins for b in range(bins)], "upper": [(b + 1) / bins for b in range(bins)],
                            "count": counts.tolist(), "accuracy": [], "confidence": []}
    for b in range(bins):
        n = int(counts[b])
        out["accuracy"].append(acc_sum[b].item() / n if n else None)
        out["confidence"].append(conf_sum[b].item() / n if n else None)
    return out


def ece(probs: torch.Tensor, labels: torch.Tensor, bins: int = DEFAULT_BINS) -> float:
    table = calibration_bins(probs, labels, bins)
    n = probs.shape[0]
    return sum(c / n * abs(a - f) for c, a, f in zip(table["count"], table["accuracy"], table["confidence"]) if c)


def disagreement(probs_a: torch.Tensor, probs_b: torch.Tensor) -> float:
    return (probs_a.argmax(dim=1) != probs_b.argmax(dim=1)).double().mean().item()


def kl_divergence(p: torch.Tensor, q: torch.Tensor) -> float:
    """mean over examples of KL(p || q)."""
    p, q = p.double(), q.double()
    terms = torch.where(p > 0, p * (p.clamp_min(EPS).log() - q.clamp_min(EPS).log()), torch.zeros_like(p))
    return terms.sum(dim=1).mean().item()


def pairwise(members: Sequence[torch.Tensor], fn) -> list[list[float]]:
    """M x M matrix of fn(members[i], members[j]) (0 on the diagonal)."""
    m = len(members)
    return [[0.0 if i == j else fn(members[i], members[j]) for j in range(m)] for i in range(m)]


def off_diagonal_mean(matrix: list[list[float]]) -> float:
    m = len(matrix)
    values = [matrix[i][j] for i in range(m) for j in range(m) if i != j]
    return sum(values) / len(values) if values else 0.0


def ensemble_probs(members: Sequence[torch.Tensor]) -> torch.Tensor:
    return torch.stack([p.double() for p in members]).mean(dim=0)


def scores(probs: torch.Tensor, labels: torch.Tensor, bins: int = DEFAULT_BINS) -> dict[str, float]:
    return {"accuracy": accuracy(probs, labels), "nll": nll(probs, labels), "ece": ece(probs, labels, bins),
            "brier": brier(probs, labels)}


def evaluate(members: Sequence[torch.Tensor], labels: torch.Tensor, bins: int = DEFAULT_BINS) -> dict:
    """Everything `evaluate_ensemble` reports, from the members' probabilities."""
    mean = ensemble_probs(members)
    dis = pairwise(members, disagreement)
    kl = pairwise(members, kl_divergence)
    return {
        "members": [scores(p, labels, bins) for p in members],
        "ensemble": scores(mean, labels, bins),
        "disagreement": dis, "mean_disagreement": off_diagonal_mean(dis),
        "kl": kl, "mean_kl": off_diagonal_mean(kl),
        "calibration": calibration_bins(mean, labels, bins),
        "member_calibration": [calibration_bins(p, labels, bins) for p in members],
        "bins": bins, "examples": int(labels.numel()),
    }
