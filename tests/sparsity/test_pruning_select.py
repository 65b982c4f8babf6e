"""Exact top-k with deterministic ties, linear-time selection, largest-remainder counts."""
from __future__ import annotations

import math

import pytest
import torch

from sparselab.sparsity.select import keep_top_k, kth_smallest, largest_remainder


def test_keep_top_k_keeps_exactly_the_largest_candidates():
    scores = torch.tensor([5.0, 1.0, 4.0, 3.0, 2.0, 9.0])
    candidates = torch.tensor([True, True, True, True, True, False])  # 9.0 is already pruned
    keep = keep_top_k(scores, candidates, 2)
    assert keep.tolist() == [True, False, True, False, False, False]


def test_ties_are_broken_by_lowest_flat_index():
    scores = torch.tensor([[1.0, 2.0, 2.0], [2.0, 2.0, 0.5]])
    keep = keep_top_k(scores, torch.ones(2, 3, dtype=torch.bool), 3)
    assert keep.tolist() == [[False, True, True], [True, False, False]]


def test_nan_scores_rank_lowest_and_minus_inf_candidates_beat_non_candidates():
    scores = torch.tensor([float("nan"), 1.0, -math.inf, -math.inf])
    candidates = torch.tensor([True, True, False, True])
    keep = keep_top_k(scores, candidates, 2)
    assert keep.tolist() == [True, True, False, False]  # NaN and -inf tie at -inf; index 0 first
    keep3 = keep_top_k(scores, candidates, 3)
    assert keep3.tolist() == [True, True, False, True]  # the non-candidate at index 2 is never kept


def test_edge_counts():
    c = torch.tensor([True, False, True])
    assert torch.equal(keep_top_k(torch.rand(3), c, 2), c)
    assert not keep_top_k(torch.rand(3), c, 0).any()
    with pytest.raises(ValueError):
        keep_top_k(torch.rand(3), c, 3)


def test_kth_smallest_large_path_matches_kthvalue():
    g = torch.Generator().manual_seed(1)
    values = torch.randn(1_500_000, generator=g)
    values[::7] = 0.25  # many ties
    for rank in (1, 17, 700_000, 1_499_999, 1_500_000):
        assert kth_smallest(values, rank) == torch.kthvalue(values, rank).values


def test_keep_top_k_large_exact_count():
    g = torch.Generator().manual_seed(2)
    scores = torch.randint(0, 1000, (1_200_000,), generator=g).float()  # heavy ties
    candidates = torch.rand(1_200_000, generator=g) > 0.3
    keep = keep_top_k(scores, candidates, 400_000)
    assert int(keep.sum()) == 400_000 and not (keep & ~candidates).any()
    assert scores[keep].min() >= scores[candidates & ~keep].max()


def test_largest_remainder_sums_exactly_and_respects_caps_and_floors():
    counts = largest_remainder({"a": 2.5, "b": 2.5, "c": 5.0}, {"a": 10, "b": 10, "c": 10}, 10)
    assert counts == {"a": 3, "b": 2, "c": 5}
    capped = largest_remainder({"a": 8.0, "b": 1.0, "c": 1.0}, {"a": 4, "b": 10, "c": 10}, 10)
    assert capped["a"] == 4 and sum(capped.values()) == 10 and capped["b"] == capped["c"] == 3
    floored = largest_remainder({"a": 0.0, "b": 5.0}, {"a": 3, "b": 5}, 5, floors={"a": 1, "b": 1})
    assert floored == {"a": 1, "b": 4}
    with pytest.raises(ValueError):
        largest_remainder({"a": 1.0}, {"a": 2}, 3)
