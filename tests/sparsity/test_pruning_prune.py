"""One pruning level and prune_to_density: exact counts, nesting, ordering, ties, seeds, errors."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.hparams import DISTRIBUTIONS, PruningHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune, prune_to_density


def mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 10))


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_levels_are_nested_and_remove_exactly_round_p_r(distribution):
    model = mlp()
    hparams = PruningHparams(pruning_fraction=0.2, pruning_distribution=distribution, pruning_strategy="magnitude",
                             balanced_redistribute=True if distribution == "balanced" else None)
    mask = Mask.ones_like(model)
    for level in range(1, 6):
        remaining = mask.num_kept
        new = prune(model, mask, hparams, ScoreContext(level=level))
        if distribution == "uniform_plus":  # Random_Pruning's computation: its own total, below the target
            assert new.num_kept == published_count(model, mask, "uniform_plus", remaining - round(0.2 * remaining))
        else:
            assert new.num_kept == remaining - round(0.2 * remaining)
        assert new.is_subset_of(mask)
        assert all(c >= 1 for c in new.kept_per_tensor().values())
        mask = new
        mask.apply_(model)
    if distribution != "uniform_plus":  # (its first layer stays dense: above the target from 0.2 on)
        assert mask.density == pytest.approx(0.8 ** 5, abs=5 / mask.num_total)


def test_global_magnitude_removes_exactly_the_smallest_weights():
    model = mlp()
    mask = Mask.ones_like(model)
    new = prune(model, mask, PruningHparams(pruning_fraction=0.3), ScoreContext())
    params = dict(model.named_parameters())
    kept = torch.cat([params[n].detach().abs()[m] for n, m in new.items()])
    removed = torch.cat([params[n].detach().abs()[~m] for n, m in new.items()])
    assert removed.numel() == round(0.3 * mask.num_total)
    assert removed.max() < kept.min()


def test_only_kept_weights_are_candidates():
    model = mlp()
    mask = Mask.ones_like(model)
    mask["0.weight"][:5] = False  # pruned weights keep large values here on purpose
    with torch.no_grad():
        model[0].weight[:5] = 100.0
    new = prune(model, mask, PruningHparams(), ScoreContext())
    assert new.is_subset_of(mask) and new.num_kept == mask.num_kept - round(0.2 * mask.num_kept)


def test_ties_are_deterministic_by_flat_index():
    model = mlp()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(0.5)
    mask = Mask.ones_like(model)
    new = prune(model, mask, PruningHparams(pruning_fraction=0.2), ScoreContext())
    flat = torch.cat([m.reshape(-1) for m in new.values()])
    keep = mask.num_total - round(0.2 * mask.num_total)
    assert flat[:keep].all() and not flat[keep:].any()  # the first `keep` weights in module order
    again = prune(model, mask, PruningHparams(pruning_fraction=0.2), ScoreContext())
    assert again.equals(new)


def test_layerwise_removes_the_same_fraction_of_each_tensor():
    model = mlp()
    mask = Mask.ones_like(model)
    new = prune(model, mask, PruningHparams(pruning_distribution="layerwise", pruning_fraction=0.25), ScoreContext())
    for name, m in new.items():
        assert int(m.sum()) == pytest.approx(0.75 * m.numel(), abs=1)
    assert new.num_kept == mask.num_total - round(0.25 * mask.num_total)


def test_random_pruning_same_seed_same_mask_and_fresh_per_level():
    model = mlp()
    mask = Mask.ones_like(model)
    hparams = PruningHparams(pruning_strategy="random", pruning_fraction=0.5)
    a = prune(model, mask, hparams, ScoreContext(seed=1, level=1))
    b = prune(model, mask, hparams, ScoreContext(seed=1, level=1))
    assert a.equals(b)
    assert not a.equals(prune(model, mask, hparams, ScoreContext(seed=2, level=1)))
    assert not a.equals(prune(model, mask, hparams, ScoreContext(seed=1, level=2)))
    seeded = hparams.replace(pruning_seed=5)
    assert prune(model, mask, seeded, ScoreContext(seed=1)).equals(prune(model, mask, seeded, ScoreContext(seed=2)))
    # A second level draws new scores: it is not the same ranking as one level at the combined fraction.
    two_levels = prune(model, a, hparams, ScoreContext(seed=1, level=2))
    one_shot = prune_to_density(model, mask, two_levels.density, "random", "global", ScoreContext(seed=1, level=1))
    assert two_levels.num_kept == one_shot.num_kept and not two_levels.equals(one_shot)


def test_ignored_layers_are_neither_pruned_nor_counted():
    model = mlp()
    hparams = PruningHparams(pruning_layers_to_ignore="4.weight")
    full = Mask.ones_like(model)
    new = prune(model, Mask.ones_like(model, ignore=["4.weight"]), hparams, ScoreContext())
    assert "4.weight" not in new
    counted = full.num_total - 300
    assert new.num_kept == counted - round(0.2 * counted)
    held = prune(model, full, hparams, ScoreContext())  # a mask that holds the ignored tensor keeps it as it is
    assert bool(held["4.weight"].all()) and held.num_kept - 300 == counted - round(0.2 * counted)
    sparse = full.clone()
    sparse["4.weight"][0] = False  # pruned at initialisation: kept as it is, not counted
    again = prune(model, sparse, hparams, ScoreContext())
    assert torch.equal(again["4.weight"], sparse["4.weight"])
    assert again.num_kept - int(sparse["4.weight"].sum()) == counted - round(0.2 * counted)


def test_unknown_ignored_layer_lists_valid_names():
    with pytest.raises(UsageError, match="0.weight, 2.weight, 4.weight"):
        prune(mlp(), Mask.ones_like(mlp()), PruningHparams(pruning_layers_to_ignore="fc.weight"), ScoreContext())


def test_level_that_would_empty_the_network_is_a_usage_error():
    model = nn.Sequential(nn.Linear(2, 1))
    mask = Mask({"0.weight": torch.tensor([[True, False]])})
    with pytest.raises(UsageError, match="every weight of the network"):
        prune(model, mask, PruningHparams(pruning_fraction=0.6), ScoreContext())


def test_global_level_that_would_empty_a_tensor_names_it():
    model = mlp()
    with torch.no_grad():
        model[2].weight.mul_(1e-6)
    with pytest.raises(UsageError, match="2.weight"):
        prune(model, Mask.ones_like(model), PruningHparams(pruning_fraction=0.6), ScoreContext())


def test_per_tensor_distributions_keep_one_weight_per_tensor_or_fail():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2))
    mask = Mask({"0.weight": torch.tensor([[True, False], [False, False]]),
                 "1.weight": torch.tensor([[True, False], [False, False]]),
                 "2.weight": torch.tensor([[True, True], [False, False]])})
    with pytest.raises(UsageError, match="one weight in each"):
        prune(model, mask, PruningHparams(pruning_distribution="layerwise", pruning_fraction=0.5), ScoreContext())


@pytest.mark.parametrize("distribution", ["uniform", "uniform_plus", "er", "erk", "erk_plus", "balanced",
                                          "pyramidal", "global", "layerwise"])
def test_prune_to_density_hits_the_count(distribution):
    model = mlp()
    mask = Mask.ones_like(model)
    new = prune_to_density(model, mask, 0.3, "magnitude", distribution, ScoreContext())
    expected = round(0.3 * mask.num_total)
    assert new.num_kept == (published_count(model, mask, distribution, expected) if distribution == "uniform_plus"
                            else expected)


def published_count(model, mask, rule, keep):
    """round(sum of the rule's per-tensor targets at keep / total), capped at what each tensor keeps."""
    from sparselab.sparsity.distributions import DENSITY_RULES

    shapes = {n: tuple(m.shape) for n, m in mask.items()}
    order = [n for n, _ in model.named_parameters() if n in shapes]
    densities = DENSITY_RULES[rule](shapes, keep / mask.num_total, order=order, output_layer=order[-1])
    caps = mask.kept_per_tensor()
    return round(sum(min(densities[n] * m.numel(), caps[n]) for n, m in mask.items()))


def test_prune_to_density_errors():
    model = mlp()
    mask = Mask.ones_like(model)
    with pytest.raises(UsageError, match=r"\(0, 1\]"):
        prune_to_density(model, mask, 1.5, "magnitude", "global", ScoreContext())
    with pytest.raises(UsageError, match="unknown pruning distribution"):
        prune_to_density(model, mask, 0.5, "magnitude", "triangular", ScoreContext())
    with pytest.raises(UsageError, match="unknown pruning score"):
        prune_to_density(model, mask, 0.5, "taylor", "global", ScoreContext())
    half = prune_to_density(model, mask, 0.5, "magnitude", "global", ScoreContext())
    with pytest.raises(UsageError, match="already keeps only"):
        prune_to_density(model, half, 0.6, "magnitude", "global", ScoreContext())


def test_infeasible_density_rule_is_a_usage_error():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(100, 50), nn.Linear(50, 2))  # the first layer holds 98 % of the weights
    with pytest.raises(UsageError, match="uniform_plus"):
        prune_to_density(model, Mask.ones_like(model), 0.05, "magnitude", "uniform_plus", ScoreContext())
    with pytest.raises(UsageError, match="fixed"):
        prune_to_density(mlp(), Mask.ones_like(mlp()), 0.05, "magnitude", "erk", ScoreContext(),
                         fixed={"0.weight": 0.9})


def test_fixed_densities_are_honoured_and_the_total_exact():
    model = mlp()
    mask = Mask.ones_like(model)
    new = prune_to_density(model, mask, 0.2, "magnitude", "erk", ScoreContext(), fixed={"4.weight": 0.5})
    assert int(new["4.weight"].sum()) == 150
    assert new.num_kept == round(0.2 * mask.num_total)
