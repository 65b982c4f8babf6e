"""Pruning at initialisation: SNIP, GraSP and SynFlow against by-hand computations, SynFlow's
schedule, ratio-only pruning, prune_at_init options, connectivity and repair, bad inputs."""
from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.init import check_connectivity, prune_at_init, repair_flow
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune_to_density
from sparselab.sparsity.scores import SCORES


class TwoLayer(nn.Module):
    """y = W2 relu(W1 x + b1) + b2, with the attributes a sparselab Model has."""

    def __init__(self, n_in: int = 4, hidden: int = 5, n_out: int = 3, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.hidden = nn.Linear(n_in, hidden)
        self.fc = nn.Linear(hidden, n_out)
        self.input_shape = (n_in,)
        self.num_classes = n_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.hidden(x)))


def data(n: int = 12, n_in: int = 4, classes: int = 3, seed: int = 1, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_in, generator=g, dtype=dtype)
    y = torch.arange(n) % classes
    return x, y


def functional_loss(w1, b1, w2, b2, x, y, temperature=1.0):
    return nn.functional.cross_entropy((torch.relu(x @ w1.T + b1) @ w2.T + b2) / temperature, y)


def test_snip_is_abs_grad_times_weight():
    model = TwoLayer()
    x, y = data()
    scores = SCORES["snip"](model, Mask.ones_like(model), ScoreContext(batches=lambda: [(x, y)]))
    w1, b1, w2, b2 = (p.detach().clone().requires_grad_() for p in
                      (model.hidden.weight, model.hidden.bias, model.fc.weight, model.fc.bias))
    g1, g2 = torch.autograd.grad(functional_loss(w1, b1, w2, b2, x, y), (w1, w2))
    assert torch.allclose(scores["hidden.weight"], (g1 * w1).abs().detach(), atol=1e-7)
    assert torch.allclose(scores["fc.weight"], (g2 * w2).abs().detach(), atol=1e-7)


def test_grasp_is_minus_published_score_against_finite_differences():
    model = TwoLayer().double()
    x, y = data(dtype=torch.float64)
    context = ScoreContext(class_balanced_batch=lambda k: (x, y), grasp_temperature=200.0)
    scores = SCORES["grasp"](model, Mask.ones_like(model), context)
    base = [p.detach().clone() for p in (model.hidden.weight, model.hidden.bias, model.fc.weight, model.fc.bias)]

    def grad_w(w1, w2):
        w1 = w1.clone().requires_grad_()
        w2 = w2.clone().requires_grad_()
        return torch.autograd.grad(functional_loss(w1, base[1], w2, base[3], x, y, 200.0), (w1, w2))

    g1, g2 = grad_w(base[0], base[2])
    eps = 1e-3 / float(torch.cat([g1.flatten(), g2.flatten()]).norm())
    plus = grad_w(base[0] + eps * g1, base[2] + eps * g2)
    minus = grad_w(base[0] - eps * g1, base[2] - eps * g2)
    hg1, hg2 = ((p - m) / (2 * eps) for p, m in zip(plus, minus))
    published1, published2 = -base[0] * hg1, -base[2] * hg2  # GraSP removes the largest of these
    assert torch.allclose(scores["hidden.weight"], -published1, rtol=1e-4, atol=1e-12)
    assert torch.allclose(scores["fc.weight"], -published2, rtol=1e-4, atol=1e-12)


def test_grasp_collects_a_class_balanced_sample_from_batches():
    from sparselab.sparsity.scores.grasp import balanced_sample

    model = TwoLayer()
    x, y = data(n=30)
    batches = [(x[i:i + 7], y[i:i + 7]) for i in range(0, 30, 7)]
    xs, ys = balanced_sample(model, ScoreContext(batches=lambda: iter(batches)), 4)
    assert torch.bincount(ys).tolist() == [4, 4, 4] and xs.shape == (12, 4)


def test_synflow_matches_the_definition():
    model = TwoLayer()
    scores = SCORES["synflow"](model, Mask.ones_like(model), ScoreContext())
    w1, b1 = model.hidden.weight.detach().abs().double(), model.hidden.bias.detach().abs().double()
    w2 = model.fc.weight.detach().abs().double()
    # R = 1^T (|W2| (|W1| 1 + |b1|) + |b2|): dR/dW1_ij = sum_k |W2_ki|; dR/dW2_ki = (|W1| 1 + |b1|)_i
    expected1 = w1 * w2.sum(0)[:, None]
    expected2 = w2 * (w1.sum(1) + b1)[None, :]
    assert torch.allclose(scores["hidden.weight"], expected1)
    assert torch.allclose(scores["fc.weight"], expected2)
    assert model.hidden.weight.min() < 0  # the caller's weights keep their signs


def test_synflow_pruned_weights_carry_no_flow():
    model = TwoLayer()
    mask = Mask.ones_like(model)
    mask["hidden.weight"][2] = False  # hidden unit 2 gets no input
    scores = SCORES["synflow"](model, mask, ScoreContext())
    w2 = model.fc.weight.detach().abs().double()
    b1 = model.hidden.bias.detach().abs().double()
    assert torch.allclose(scores["fc.weight"][:, 2], w2[:, 2] * b1[2])  # only the bias feeds unit 2


def test_synflow_iterative_schedule_reaches_the_target_exactly():
    from sparselab.models import registry

    model = registry.build("cifar_resnet_20", (3, 32, 32), 10)
    mask = Mask.ones_like(model)
    new = prune_to_density(model, mask, 0.1, "synflow", "global", ScoreContext(synflow_iterations=5))
    assert new.num_kept == round(0.1 * mask.num_total)
    small = TwoLayer(n_in=20, hidden=30, n_out=10)
    ones = Mask.ones_like(small)
    for density in (0.013, 0.1, 0.5):
        new = prune_to_density(small, ones, density, "synflow", "erk", ScoreContext(synflow_iterations=100))
        assert new.num_kept == round(density * ones.num_total)


def test_synflow_iterative_differs_from_one_shot():
    model = TwoLayer(n_in=20, hidden=30, n_out=10)
    mask = Mask.ones_like(model)
    one = prune_to_density(model, mask, 0.3, "synflow", "global", ScoreContext(synflow_iterations=1))
    many = prune_to_density(model, mask, 0.3, "synflow", "global", ScoreContext(synflow_iterations=20))
    assert one.num_kept == many.num_kept
    assert not one.equals(many)


def test_ratio_only_keeps_the_criterion_counts_with_random_placement():
    from sparselab.models import registry

    model = registry.build("cifar_resnet_20", (3, 32, 32), 10)
    x = torch.randn(8, 3, 32, 32)
    y = torch.arange(8) % 10
    context = ScoreContext(seed=3, batches=lambda: [(x, y)])
    snip = prune_to_density(model, Mask.ones_like(model), 0.1, "snip", "global", context)
    hparams = InitPruningHparams(init_density=0.1, pruning_ratio_from="snip")
    fresh = registry.build("cifar_resnet_20", (3, 32, 32), 10)
    mask = prune_at_init(fresh, hparams, context)
    assert mask.kept_per_tensor() == snip.kept_per_tensor()
    overlap = sum(int((mask[n] & snip[n]).sum()) for n in mask.keys())
    assert overlap < 0.5 * mask.num_kept  # random placement, not SNIP's positions
    again = prune_at_init(registry.build("cifar_resnet_20", (3, 32, 32), 10), hparams, context)
    assert again.equals(mask)


def test_prune_at_init_disabled_is_all_ones_and_leaves_weights():
    model = TwoLayer()
    before = model.hidden.weight.detach().clone()
    mask = prune_at_init(model, InitPruningHparams(), ScoreContext())
    assert mask.density == 1.0 and torch.equal(model.hidden.weight, before)


def test_prune_at_init_scales_dense_layers_and_fc_density():
    model = TwoLayer(n_in=20, hidden=30, n_out=10)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    hparams = InitPruningHparams(init_density=0.25, init_pruning_strategy="magnitude",
                                 init_pruning_distribution="uniform", init_scale="global_density")
    mask = prune_at_init(model, hparams, ScoreContext())
    assert mask.num_kept == round(0.25 * 900)
    w = model.hidden.weight.detach()
    kept = mask["hidden.weight"]
    assert torch.allclose(w[kept], before["hidden.weight"][kept] / math.sqrt(mask.density))
    assert torch.count_nonzero(w[~kept]) == 0

    layer = TwoLayer(n_in=20, hidden=30, n_out=10)
    orig = layer.fc.weight.detach().clone()
    m2 = prune_at_init(layer, hparams.replace(init_scale="layer_density", init_fc_density=0.5,
                                              init_pruning_distribution="erk"), ScoreContext())
    assert int(m2["fc.weight"].sum()) == 150 and m2.num_kept == round(0.25 * 900)
    kept = m2["fc.weight"]
    assert torch.allclose(layer.fc.weight.detach()[kept], orig[kept] / math.sqrt(0.5))

    dense = prune_at_init(TwoLayer(n_in=20, hidden=30, n_out=10), hparams.replace(dense_layers="fc.weight"),
                          ScoreContext())
    assert "fc.weight" not in dense and dense.num_kept == round(0.25 * 600)


def test_connectivity_and_repair():
    model = TwoLayer(n_in=6, hidden=8, n_out=3)
    mask = Mask.ones_like(model)
    report = check_connectivity(model, mask)
    assert report["connected"] and report["fraction_on_path"] == 1.0
    cut = mask.clone()
    cut["fc.weight"][:] = False
    cut["fc.weight"][0, 0] = True
    cut["hidden.weight"][0] = False  # hidden unit 0 has no input: the only path is cut
    report = check_connectivity(model, cut)
    assert not report["connected"] and report["flow"] == 0.0 and report["kept_on_path"] == 0
    assert report["layers"]["hidden.weight"]["dead_outputs"] == 1
    assert report["layers"]["fc.weight"]["dead_outputs"] == 2
    assert report["layers"]["fc.weight"]["dead_inputs"] == 7
    repaired = repair_flow(model, cut)
    assert cut.is_subset_of(repaired)
    fixed = check_connectivity(model, repaired)
    assert fixed["connected"]
    for layer in fixed["layers"].values():
        assert layer["dead_outputs"] == 0 and layer["dead_inputs"] == 0
    added = repaired.num_kept - cut.num_kept
    assert added <= 1 + 2 + 7  # at most one weight per dead unit
    strongest = model.hidden.weight.detach().abs()[0].argmax()
    assert repaired["hidden.weight"][0, strongest] and int(repaired["hidden.weight"][0].sum()) == 1
    assert repair_flow(model, mask).equals(mask)  # nothing dead, nothing added


def test_repair_flow_on_convolutions():
    from sparselab.models import registry

    model = registry.build("cifar_resnet_20", (3, 32, 32), 10)
    mask = prune_to_density(model, Mask.ones_like(model), 0.01, "random", "uniform", ScoreContext())
    before = check_connectivity(model, mask)
    assert sum(l["dead_outputs"] + l["dead_inputs"] for l in before["layers"].values()) > 0
    after = check_connectivity(model, repair_flow(model, mask))
    assert after["connected"]
    assert all(l["dead_outputs"] == 0 and l["dead_inputs"] == 0 for l in after["layers"].values())


def test_bad_inputs_are_usage_errors():
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(UsageError, match="init_density"):
            InitPruningHparams(init_density=bad)
    with pytest.raises(UsageError, match="pruning_ratio_from"):
        InitPruningHparams(init_density=0.1, pruning_ratio_from="magnitude")
    with pytest.raises(UsageError, match="init_pruning_strategy"):
        InitPruningHparams(init_density=0.1, init_pruning_strategy="taylor")
    with pytest.raises(UsageError, match="needs training data"):
        prune_at_init(TwoLayer(), InitPruningHparams(init_density=0.1, init_pruning_strategy="snip"), ScoreContext())
    with pytest.raises(UsageError, match="needs training data"):
        prune_at_init(TwoLayer(), InitPruningHparams(init_density=0.1, pruning_ratio_from="grasp"), ScoreContext())
    with pytest.raises(UsageError, match="--dense_layers"):
        prune_at_init(TwoLayer(), InitPruningHparams(init_density=0.1, dense_layers="conv.weight"), ScoreContext())


def test_init_bundle_defaults_do_not_change_hashes():
    assert InitPruningHparams().canonical() == {}


def test_global_criteria_may_empty_a_tensor_at_init_but_not_in_a_level():
    model = TwoLayer(n_in=20, hidden=30, n_out=10)
    with torch.no_grad():
        model.fc.weight.mul_(1e-6)
    with pytest.raises(UsageError, match="fc.weight"):
        prune_to_density(model, Mask.ones_like(model), 0.5, "magnitude", "global", ScoreContext())
    hparams = InitPruningHparams(init_density=0.5, init_pruning_strategy="magnitude", init_pruning_distribution="global")
    mask = prune_at_init(model, hparams, ScoreContext())
    assert not mask["fc.weight"].any() and mask.num_kept == 450
    assert not check_connectivity(model, mask)["connected"]


def test_synflow_keeps_residual_shortcuts_dense_by_default():
    """Synaptic-Flow's --prune-residual is off: the 1x1 shortcut convolutions are neither pruned nor counted."""
    from sparselab.models import registry
    from sparselab.sparsity.init import prune_at_init
    from sparselab.sparsity.init_hparams import InitPruningHparams

    model = registry.build("cifar_resnet_20", (3, 32, 32), 10, seed=0)
    shortcuts = [n for n, p in model.named_parameters() if "shortcut" in n and p.dim() == 4]
    assert len(shortcuts) == 2
    context = ScoreContext(synflow_iterations=3)
    default = InitPruningHparams(init_density=0.1, init_pruning_strategy="synflow")
    assert default.prune_shortcuts is False and "prune_shortcuts" in default.canonical()  # a new directory
    mask = prune_at_init(copy.deepcopy(model), default, context)
    assert not any(n in mask for n in shortcuts)
    counted = sum(p.numel() for n, p in model.named_parameters() if n in model.prunable_layer_names
                  and n not in shortcuts)
    assert mask.num_total == counted and mask.num_kept == round(0.1 * counted)
    pruned = prune_at_init(copy.deepcopy(model), default.replace(prune_shortcuts=True), context)
    assert all(n in pruned and pruned[n].float().mean() < 1 for n in shortcuts)  # the old meaning
    assert InitPruningHparams(init_density=0.1, init_pruning_strategy="magnitude").prune_shortcuts is True
