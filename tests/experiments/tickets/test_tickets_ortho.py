"""Orthogonal repair and looks-linear start weights of sparse layers, against hand computation."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from torch import nn

from sparselab.sparsity.mask import Mask
from sparselab.sparsity.ortho import (looks_linear_, looks_linear_tensor, ortho_repair, orthogonality_gap,
                                     repair_tensor)
from tickets_helpers import call, only


def _toy() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 5, generator=g, dtype=torch.float64)
    m = torch.rand(3, 5, generator=g) < 0.6
    return w, m


def test_one_repair_step_is_the_hand_gradient() -> None:
    w, m = _toy()
    mw = w * m
    a = mw @ mw.T - torch.eye(3, dtype=w.dtype)
    # d||A||_F / dW = M * (2 A (M W)) / ||A||_F  (A is symmetric)
    grad = m * (2 * a @ mw) / torch.linalg.norm(a)
    assert torch.allclose(repair_tensor(w, m, steps=1, lr=0.01), (w - 0.01 * grad) * m)


def test_repair_brings_masked_rows_closer_to_orthonormal_and_keeps_the_mask() -> None:
    w, m = _toy()
    net = nn.Linear(5, 3, bias=False).double()
    with torch.no_grad():
        net.weight.copy_(w * m)
    before = orthogonality_gap(net.weight, m)
    ortho_repair(net, Mask({"weight": m}), steps=200, lr=0.01)
    after = orthogonality_gap(net.weight, m)
    assert after < 0.5 * before
    assert bool((net.weight[~m] == 0).all())


def test_looks_linear_blocks_are_exact() -> None:
    w = torch.randn(6, 4)
    ll = looks_linear_tensor(w, first=False)
    w0 = ll[:3, :2]
    assert torch.equal(ll[:3, 2:], -w0) and torch.equal(ll[3:, :2], -w0) and torch.equal(ll[3:, 2:], w0)
    assert torch.allclose(w0.T @ w0, torch.eye(2), atol=1e-6)  # 3 x 2: orthonormal columns
    first = looks_linear_tensor(w, first=True)
    assert torch.equal(first[3:], -first[:3]) and torch.allclose(first[:3] @ first[:3].T, torch.eye(3), atol=1e-6)
    odd = looks_linear_tensor(torch.randn(5, 3, 2, 2), first=False)  # cropped: ceil halves 3 x 2
    assert odd.shape == (5, 3, 2, 2) and torch.equal(odd[3:5, :2], -odd[:2, :2])


def test_looks_linear_network_is_linear_when_dense_and_divides_by_sqrt_density() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6, bias=False), nn.ReLU(), nn.Linear(6, 8, bias=False))
    looks_linear_(net, Mask.ones_like(net))
    x = torch.randn(7, 4)
    w0a, w0b = net[0].weight[:3], net[2].weight[:4, :3]
    assert torch.allclose(net(x), torch.cat([x @ w0a.T @ w0b.T, -(x @ w0a.T @ w0b.T)], dim=1), atol=1e-5)
    half = Mask({"0.weight": torch.rand(6, 4) < 2, "2.weight": torch.arange(48).view(8, 6) % 4 == 0})
    ref = looks_linear_tensor(net[2].weight.detach().clone(), first=False)
    looks_linear_(net, half)
    assert torch.allclose(net[2].weight, ref / math.sqrt(0.25))


def test_flags_reach_the_trained_start_weights(tmp_path: Path) -> None:
    status, _, err = call("train", "--init_density=0.5", "--init_pruning_distribution=uniform", "--looks_linear",
                          "--ortho_repair", "--ortho_repair_steps=5", "--training_steps=1it", "--quiet",
                          f"--root={tmp_path}")
    assert status == 0, err
    job = only(tmp_path, "train_*/replicate_1/main")
    start = torch.load(job / "weights_start.pt", weights_only=True)
    mask = Mask(torch.load(job / "mask.pt", weights_only=True))
    plain_root = tmp_path / "plain"
    assert call("train", "--init_density=0.5", "--init_pruning_distribution=uniform", "--training_steps=1it",
                "--quiet", f"--root={plain_root}")[0] == 0
    plain = torch.load(only(plain_root, "train_*/replicate_1/main") / "weights_start.pt", weights_only=True)
    for name, m in mask.items():
        assert bool((start[name][~m] == 0).all())
        assert not torch.equal(start[name], plain[name])


@pytest.mark.parametrize("argv,message", [
    (["train", "--init_density=0.5", "--ortho_repair_steps=5"],
     "--ortho_repair_steps exists only with --ortho_repair"),
    (["train", "--init_density=0.5", "--looks_linear", "--init_scale=layer_density"],
     "--init_scale exists only with --no_looks_linear"),
    (["train", "--ortho_repair"], "--ortho_repair exists only with --init_density"),
])
def test_repair_flags_exist_only_where_they_apply(argv: list[str], message: str, tmp_path: Path) -> None:
    status, _, err = call(*argv, "--training_steps=1it", f"--root={tmp_path}")
    assert status == 2 and err.count("\n") == 1 and message in err, err
