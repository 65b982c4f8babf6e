"""Scores: magnitude, gradient (|w * dL/dw| by hand), random (reproducible, fresh per level/tensor)."""
from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.scores import SCORES


def linear_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 3, bias=False))


def test_magnitude_is_absolute_weight():
    model = linear_model()
    scores = SCORES["magnitude"](model, Mask.ones_like(model), ScoreContext())
    assert torch.equal(scores["0.weight"], model[0].weight.detach().abs())


def test_gradient_score_equals_hand_computation_over_batches():
    model = linear_model()
    g = torch.Generator().manual_seed(3)
    batches = [(torch.randn(4, 5, generator=g), torch.randint(0, 3, (4,), generator=g)) for _ in range(3)]
    context = ScoreContext(batches=lambda: iter(batches), num_batches=2)
    scores = SCORES["gradient"](model, Mask.ones_like(model), context)
    w = model[0].weight.detach()
    grad = torch.zeros_like(w)
    for x, y in batches[:2]:  # d(mean CE)/dW = (softmax(W x) - onehot(y))^T x / B
        p = torch.softmax(x @ w.T, dim=1)
        grad += (p - nn.functional.one_hot(y, 3).float()).T @ x / x.shape[0]
    assert torch.allclose(scores["0.weight"], (w * grad).abs(), atol=1e-6)
    assert model[0].weight.grad is None  # the caller's model is untouched


def test_gradient_uses_eval_mode_and_leaves_batchnorm_statistics_alone():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Linear(6, 2))
    before = model[1].running_mean.clone()
    batches = [(torch.randn(8, 4) + 3, torch.randint(0, 2, (8,)))]
    SCORES["gradient"](model, Mask.ones_like(model), ScoreContext(batches=lambda: iter(batches)))
    assert torch.equal(model[1].running_mean, before)


def test_data_driven_scores_without_data_are_usage_errors():
    model = linear_model()
    for name in ("gradient", "snip", "grasp"):
        with pytest.raises(UsageError, match="needs training data"):
            SCORES[name](model, Mask.ones_like(model), ScoreContext())


def test_random_scores_reproducible_and_fresh_per_level_and_tensor():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))  # two tensors of the same shape
    mask = Mask.ones_like(model)
    a = SCORES["random"](model, mask, ScoreContext(seed=7, level=1))
    b = SCORES["random"](model, mask, ScoreContext(seed=7, level=1))
    c = SCORES["random"](model, mask, ScoreContext(seed=7, level=2))
    d = SCORES["random"](model, mask, ScoreContext(seed=8, level=1))
    assert torch.equal(a["0.weight"], b["0.weight"])
    assert not torch.equal(a["0.weight"], a["1.weight"])
    assert not torch.equal(a["0.weight"], c["0.weight"])
    assert not torch.equal(a["0.weight"], d["0.weight"])
    assert ((a["0.weight"] >= 0) & (a["0.weight"] < 1)).all()


def test_grasp_scores_the_two_class_sorted_halves_separately_on_batchnorm_networks():
    """Random_Pruning's GraSP: class-sorted sample, two halves, each its own forward pass in train mode (BN
    statistics per half); g = sum of the halves' gradients, Hg = sum of the halves' Hessian-gradient products."""
    from sparselab.sparsity.scores import SCORES

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    x = torch.randn(12, 1, 6, 6)
    y = torch.tensor([2, 0, 1, 2, 1, 0, 0, 2, 1, 1, 0, 2])  # 4 per class, unsorted
    mask = Mask.ones_like(model)
    context = ScoreContext(class_balanced_batch=lambda k: (x, y), grasp_samples_per_class=4)
    got = SCORES["grasp"](model, mask, context)

    ref = copy.deepcopy(model).train()
    weights = [p for n, p in ref.named_parameters() if n in mask]
    order = torch.argsort(y, stable=True)
    halves = [(x[order[:6]], y[order[:6]]), (x[order[6:]], y[order[6:]])]
    loss = lambda xs, ys: nn.functional.cross_entropy(ref(xs) / 200, ys)
    g = [sum(gs) for gs in zip(*(torch.autograd.grad(loss(*h), weights) for h in halves))]
    hg = [torch.zeros_like(w) for w in weights]
    for h in halves:
        grads = torch.autograd.grad(loss(*h), weights, create_graph=True)
        z = sum((a * b).sum() for a, b in zip(grads, g))
        hg = [acc + d for acc, d in zip(hg, torch.autograd.grad(z, weights))]
    want = {n: w.detach() * d for n, w, d in zip(mask.keys(), weights, hg)}
    total_got = sum(v.abs().sum() for v in got.values())
    total_want = sum(v.abs().sum() for v in want.values())
    for name in want:  # equal up to one positive constant (the halves' loss weights)
        assert torch.allclose(got[name] / total_got, want[name] / total_want, atol=1e-6, rtol=1e-4), name
