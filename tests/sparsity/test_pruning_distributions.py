"""Density rules on cifar_resnet_20 shapes: totals exact and each rule's formula followed."""
from __future__ import annotations

import math

import pytest

from sparselab.core.errors import UsageError
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.distributions import DENSITY_RULES, RuleOptions
from sparselab.sparsity.distributions.er import raw_scores as er_raw
from sparselab.sparsity.distributions.erk import raw_scores as erk_raw
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune_to_density

DENSITIES = (0.05, 0.1)


@pytest.fixture(scope="module")
def resnet20():
    from sparselab.models import registry

    model = registry.build("cifar_resnet_20", (3, 32, 32), 10)
    shapes = {n: tuple(p.shape) for n, p in model.named_parameters() if n in model.prunable_layer_names}
    return model, shapes, model.prunable_layer_names, "fc.weight"


def kept(densities, shapes):
    return sum(d * math.prod(shapes[n]) for n, d in densities.items())


def total(shapes):
    return sum(math.prod(s) for s in shapes.values())


def run(rule, resnet20, density, options=RuleOptions()):
    _, shapes, order, output = resnet20
    densities = DENSITY_RULES[rule](shapes, density, order=order, output_layer=output, options=options)
    assert set(densities) == set(shapes)
    assert all(0 < d <= 1 for d in densities.values())
    if rule != "uniform_plus":  # uniform_plus realises Random_Pruning's density, not the target (test below)
        assert kept(densities, shapes) == pytest.approx(density * total(shapes), rel=1e-9)
    return densities


@pytest.mark.parametrize("density", DENSITIES)
@pytest.mark.parametrize("rule,raw", [("er", er_raw), ("erk", erk_raw)])
def test_er_erk_follow_the_formula_below_one(resnet20, density, rule, raw):
    densities = run(rule, resnet20, density)
    scores = raw(resnet20[1], 1.0)
    sparse = [n for n, d in densities.items() if d < 1]
    dense = [n for n, d in densities.items() if d == 1]
    eps = {n: densities[n] / scores[n] for n in sparse}
    first = eps[sparse[0]]
    assert all(e == pytest.approx(first, rel=1e-9) for e in eps.values())  # one global scale
    assert all(first * scores[n] >= 1 - 1e-9 for n in dense)  # only tensors the scale would push over 1


def test_erk_density_falls_with_layer_size(resnet20):
    densities = run("erk", resnet20, 0.05)
    assert densities["conv.weight"] > densities["blocks.0.conv1.weight"] > densities["blocks.8.conv2.weight"]


def test_erk_power_changes_the_ratio(resnet20):
    densities = run("erk", resnet20, 0.1, RuleOptions(erk_power=0.5))
    scores = erk_raw(resnet20[1], 0.5)
    a, b = "blocks.0.conv1.weight", "blocks.8.conv2.weight"
    assert densities[a] / densities[b] == pytest.approx(scores[a] / scores[b])


@pytest.mark.parametrize("density", DENSITIES)
def test_uniform_plus_first_dense_output_at_least_20_percent(resnet20, density):
    densities = run("uniform_plus", resnet20, density)
    assert densities["conv.weight"] == 1.0
    assert densities["fc.weight"] >= 0.2
    rest = {d for n, d in densities.items() if n not in ("conv.weight", "fc.weight")}
    assert len(rest) == 1  # one common density


@pytest.mark.parametrize("density, published", [(0.05, 0.0479), (0.1, 0.0979)])
def test_uniform_plus_is_random_prunings_computation(resnet20, density, published):
    """Random_Pruning's CIFAR code: B = d*T - N_first - 0.2*N_fc divided by the WHOLE size T (not an exact solve,
    which would give 0.0481 / 0.0983)."""
    _, shapes, _, _ = resnet20
    size = {n: math.prod(s) for n, s in shapes.items()}
    total = sum(size.values())
    expected = (density * total - size["conv.weight"] - 0.2 * size["fc.weight"]) / total
    densities = run("uniform_plus", resnet20, density)
    assert densities["blocks.0.conv1.weight"] == pytest.approx(expected, rel=1e-12)
    assert round(expected, 4) == published


def test_uniform_plus_above_20_percent_treats_output_like_the_rest(resnet20):
    densities = run("uniform_plus", resnet20, 0.5)
    assert densities["fc.weight"] == densities["blocks.0.conv1.weight"] == 0.5  # the seed: d for all but the first


@pytest.mark.parametrize("density", DENSITIES)
def test_erk_plus_output_density(resnet20, density):
    floor = run("erk_plus", resnet20, density)
    assert floor["fc.weight"] >= 0.2
    fixed = run("erk_plus", resnet20, density, RuleOptions(fc_density=0.5))
    assert fixed["fc.weight"] == 0.5


@pytest.mark.parametrize("density", DENSITIES)
def test_balanced_same_count_per_tensor_capped_at_dense(resnet20, density):
    _, shapes, _, _ = resnet20
    densities = run("balanced", resnet20, density)
    counts = {n: d * math.prod(shapes[n]) for n, d in densities.items()}
    x = max(counts.values())
    for n, c in counts.items():
        assert c == pytest.approx(x) or (densities[n] == 1.0 and c < x)


@pytest.mark.parametrize("density", DENSITIES)
def test_pyramidal_geometric_by_depth(resnet20, density):
    _, _, order, _ = resnet20
    densities = run("pyramidal", resnet20, density)
    r = densities[order[0]]
    for l, name in enumerate(order, start=1):
        assert densities[name] == pytest.approx(r ** l, rel=1e-9)


def test_uniform(resnet20):
    assert set(run("uniform", resnet20, 0.1).values()) == {0.1}


@pytest.mark.parametrize("rule", sorted(DENSITY_RULES))
@pytest.mark.parametrize("density", DENSITIES)
def test_integer_counts_hit_the_total_exactly(resnet20, rule, density):
    model = resnet20[0]
    mask = Mask.ones_like(model)
    new = prune_to_density(model, mask, density, "random", rule, ScoreContext(seed=0))
    _, shapes, order, output = resnet20
    target = DENSITY_RULES[rule](shapes, density, order=order, output_layer=output, options=RuleOptions())
    if rule == "uniform_plus":  # the rule at the density prune_to_density asks: round(d * N) / N
        at = round(density * mask.num_total) / mask.num_total
        target = DENSITY_RULES[rule](shapes, at, order=order, output_layer=output, options=RuleOptions())
    published = round(kept(target, shapes)) if rule == "uniform_plus" else round(density * mask.num_total)
    assert new.num_kept == published
    for name, m in new.items():
        assert abs(int(m.sum()) - target[name] * m.numel()) <= 1.0  # largest-remainder rounding


@pytest.mark.parametrize("rule", sorted(DENSITY_RULES))
def test_density_outside_range_is_usage_error(resnet20, rule):
    _, shapes, order, output = resnet20
    for bad in (0.0, 1.2):
        with pytest.raises(UsageError):
            DENSITY_RULES[rule](shapes, bad, order=order, output_layer=output, options=RuleOptions())


def test_first_layer_ignored_is_not_made_dense(resnet20):
    _, shapes, order, output = resnet20
    rest = {n: s for n, s in shapes.items() if n != "conv.weight"}
    densities = DENSITY_RULES["uniform_plus"](rest, 0.1, order=order, output_layer=output, options=RuleOptions())
    assert densities["blocks.0.conv1.weight"] < 1
