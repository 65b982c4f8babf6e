"""N:M sparsity: the group constraint by hand, inside pruning at init, one-shot, levels and DST growth."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.dst.hook import prune_and_regrow
from sparselab.sparsity.hparams import PruningHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.pattern import (check_density, group_counts, parse_pattern, satisfies_pattern,
                                       top_per_group)
from sparselab.sparsity.prune import prune, prune_to_density


def test_top_per_group_by_hand() -> None:
    scores = torch.tensor([[4., 1., 3., 2., 0., 0., 5., 5.]])
    cand = torch.tensor([[True, True, True, True, True, True, True, False]])
    # group 1: 4 and 3 (positions 0, 2); group 2: 5 at 6 and the tie 0,0 at 4,5 -> lowest index 4
    assert top_per_group(scores, cand, 2, 4).tolist() == [[True, False, True, False, True, False, True, False]]


def channel_groups_ok(mask: torch.Tensor, n: int, m: int) -> bool:
    """By hand: at every (out, kh, kw) position, each block of m consecutive input channels keeps <= n."""
    o, c, kh, kw = mask.shape
    return all(int(mask[a, g:g + m, y, x].sum()) <= n
               for a in range(o) for y in range(kh) for x in range(kw) for g in range(0, c, m))


def test_conv_groups_run_along_input_channels_at_each_position_and_a_short_tail() -> None:
    """Sparse tensor cores' layout: groups of 4 input channels at each (output channel, kh, kw)."""
    w = torch.zeros(2, 5, 3, 3)  # 5 channels: groups [0..3] and the one-channel tail [4]
    w[0, 0, 0, 0] = w[0, 0, 0, 1] = w[0, 0, 0, 2] = 1.0  # 3 in one flattened run, 1 per channel group
    assert satisfies_pattern(w, 2, 4)
    w[0, :3, 1, 1] = 1.0  # 3 of the first 4 channels at position (1, 1)
    assert not satisfies_pattern(w, 2, 4) and not channel_groups_ok(w != 0, 2, 4)
    counts = group_counts(w != 0, 4)
    assert counts.shape == (2 * 3 * 3, 2) and int(counts.max()) == 3
    w[0, 1, 1, 1] = 0
    w[1, 4, 2, 2] = 1.0  # the tail group may hold it
    assert satisfies_pattern(w, 2, 4) and channel_groups_ok(w != 0, 2, 4)


def test_pruned_convolutions_are_hardware_2_4() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Conv2d(16, 4, 3))
    new = prune_to_density(model, Mask.ones_like(model), 0.5, "magnitude", "global", ScoreContext(), pattern=(2, 4))
    for name, m in new.items():
        assert channel_groups_ok(m, 2, 4), name
    assert new.num_kept == round(0.5 * new.num_total)


def test_parse_and_density_refusals() -> None:
    assert parse_pattern("4:8") == (4, 8)
    for bad in ("4:4", "2-4", "0:4"):
        with pytest.raises(UsageError):
            parse_pattern(bad)
    check_density((2, 4), 0.5, "x")
    with pytest.raises(UsageError, match="at most density 2/4"):
        check_density((2, 4), 0.51, "x")


def _mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 4))


@pytest.mark.parametrize("distribution", ["global", "layerwise", "erk"])
@pytest.mark.parametrize("pattern", [(2, 4), (4, 8), (1, 4)])
def test_prune_to_density_keeps_the_pattern_and_the_exact_count(distribution: str, pattern) -> None:
    model = _mlp()
    mask = Mask.ones_like(model)
    density = pattern[0] / pattern[1] * 0.8
    new = prune_to_density(model, mask, density, "magnitude", distribution, ScoreContext(seed=0),
                           pattern=pattern)
    assert new.num_kept == round(density * mask.num_total)
    assert satisfies_pattern(new.state_dict(), *pattern)


def test_global_with_pattern_keeps_the_top_two_of_every_group_at_density_half() -> None:
    model = nn.Sequential(nn.Linear(4, 1, bias=False))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.1, -0.9, 0.5, 0.2]]))
    new = prune_to_density(model, Mask.ones_like(model), 0.5, "magnitude", "global", ScoreContext(seed=0),
                           pattern=(2, 4))
    assert new["0.weight"].tolist() == [[False, True, True, False]]


def test_levels_above_n_over_m_are_unstructured_then_the_pattern_applies() -> None:
    model = _mlp()
    hp = PruningHparams(pruning_fraction=0.3)
    mask = Mask.ones_like(model)
    level1 = prune(model, mask, hp, ScoreContext(seed=0), pattern=(2, 4))       # density 0.7 > 0.5
    assert level1.num_kept == round(0.7 * mask.num_total)
    assert not satisfies_pattern(level1.state_dict(), 2, 4)
    level2 = prune(model, level1, hp, ScoreContext(seed=0), pattern=(2, 4))     # target 0.49 <= 0.5
    assert satisfies_pattern(level2.state_dict(), 2, 4)
    assert level2.is_subset_of(level1) and level2.num_kept <= round(0.7 * level1.num_kept)


def test_dst_growth_only_where_a_group_has_room() -> None:
    w = torch.tensor([[0.9, 0.1, 0.0, 0.0, 0.5, 0.6, 0.0, 0.0]])
    mask = w != 0
    scores = torch.tensor([[0., 0., 9., 8., 0., 0., 7., 1.]])
    new, grown = prune_and_regrow({"w": w}, {"w": mask}, {"w": ~mask}, {"w": scores}, 0.25, pattern=(2, 4))
    # one weight dropped (0.1 at 1); group 1 has room 1 -> position 2 (score 9); group 2 is full
    assert grown["w"].tolist() == [[False, False, True, False, False, False, False, False]]
    assert new["w"].tolist() == [[True, False, True, False, True, True, False, False]]
    assert satisfies_pattern(new["w"], 2, 4)


def test_dst_growth_redistributed_keeps_the_pattern() -> None:
    torch.manual_seed(1)
    w = {"a": torch.randn(6, 16), "b": torch.randn(4, 8)}
    masks = {n: top_per_group(t.abs(), torch.ones_like(t, dtype=torch.bool), 2, 4) for n, t in w.items()}
    scores = {n: torch.rand_like(t) for n, t in w.items()}
    new, _ = prune_and_regrow(w, masks, {n: ~m for n, m in masks.items()}, scores, 0.5, redistribute=True,
                              pattern=(2, 4))
    assert all(satisfies_pattern(m, 2, 4) for m in new.values())
    assert sum(int(m.sum()) for m in new.values()) == sum(int(m.sum()) for m in masks.values())


def test_pattern_jobs_hash_with_the_input_channel_layout() -> None:
    """Conv groups changed meaning (flattened in*kh*kw -> input channels): no old pattern directory is reused."""
    from sparselab.sparsity.pattern_hparams import PatternHparams

    assert PatternHparams(sparsity_pattern="2:4").canonical() == {"sparsity_pattern": "2:4",
                                                                   "pattern_groups": "input_channels"}
    assert PatternHparams().canonical() == {}  # no pattern: old hashes unchanged
