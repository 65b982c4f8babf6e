"""Strong tickets: the annealing schedule, the top-k with its straight-through gradient, and a digits run
whose weights never move while its scores reach well above chance."""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from sparselab.sparsity.mask import Mask
from sparselab.sparsity.supermask import SupermaskNet, TopK, kept_fractions
from tickets_helpers import call, only

RUN = ["supermask", "--init_density=0.5", "--init_pruning_distribution=er", "--supermask_density=0.2", "--levels=2",
       "--training_steps=1ep", "--milestone_steps=", "--lr=0.1", "--quiet"]


def test_kept_fractions_follow_er_slt_by_hand() -> None:
    # b = (0.1 / 0.6) ** (1 / 5) = 0.698827; 0.6 b = 0.419 is clipped to the ER density 0.3 and carried on.
    b = (1 / 6) ** 0.2
    assert b == pytest.approx(0.698827, abs=1e-6)
    expected = [0.3, 0.3 * b, 0.3 * b ** 2, 0.3 * b ** 3, 0.1]  # 0.3 b^4 = 0.0715 < target: clipped up
    assert kept_fractions(0.6, 0.1, 0.3, 5) == pytest.approx(expected)
    assert kept_fractions(0.6, 0.2, 0.5, 2) == pytest.approx([0.6 * (1 / 3) ** 0.5, 0.2])


def test_topk_inside_the_er_mask_with_straight_through_gradient() -> None:
    scores = torch.tensor([[0.9, -0.1, 0.5], [-0.7, 0.3, 0.8]], requires_grad=True)
    allowed = torch.tensor([[False, True, True], [True, True, False]])  # 0.9 and 0.8 are outside the ER mask
    chosen = TopK.apply(scores.abs(), allowed, 2)
    assert chosen.tolist() == [[0, 0, 1], [1, 0, 0]]  # |-0.7| and 0.5 are the two largest allowed
    chosen.mul(torch.arange(6.0).view(2, 3)).sum().backward()
    assert scores.grad.tolist() == [[0, -1, 2], [-3, 4, 5]]  # straight through, times sign(score) of |.|


def test_counts_keep_each_tensors_share_of_its_er_weights() -> None:
    net = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))
    mask = Mask({"0.weight": torch.rand(20, 10) < 0.5, "2.weight": torch.ones(5, 20, dtype=torch.bool)})
    wrapped = SupermaskNet(net, mask, seed=0)
    wrapped.set_kept_fraction(0.25)
    for name, kept in mask.kept_per_tensor().items():
        assert wrapped.counts[name] == math.floor(0.25 * kept / mask.density + 1e-9)
        assert int(wrapped.selected()[name].sum()) == wrapped.counts[name]
    assert all(not p.requires_grad for p in net.parameters())
    assert wrapped.selected().is_subset_of(mask)


def _digest(state: dict, prefix: str) -> str:
    h = hashlib.sha256()
    for k in sorted(state):
        if k.startswith(prefix):
            h.update(k.encode() + state[k].numpy().tobytes())
    return h.hexdigest()


def test_supermask_on_digits_keeps_weights_and_learns(tmp_path: Path) -> None:
    status, out, err = call(*RUN, f"--root={tmp_path}")
    assert status == 0, err
    experiment = only(tmp_path, "supermask_*/replicate_1")
    first, last = experiment / "level_0" / "main", experiment / "level_1" / "main"
    start = torch.load(first / "weights_start.pt", weights_only=True)
    final = torch.load(last / "weights_final.pt", weights_only=True)
    weights = [k for k in start if k.startswith("net.") and k.endswith(("weight", "bias"))]
    assert weights and all(torch.equal(start[k], final[k]) for k in weights)
    assert _digest(start, "net.") == _digest(final, "net.")
    assert any(not torch.equal(start[k], final[k]) for k in start if k.startswith("scores."))
    selected = Mask(torch.load(last / "supermask.pt", weights_only=True))
    er = Mask(torch.load(first / "mask.pt", weights_only=True))
    assert selected.is_subset_of(er) and er.density == pytest.approx(0.5, abs=1e-3)
    assert selected.density == pytest.approx(0.2, abs=0.01)
    done = json.loads((last / "done.json").read_text())
    assert done["kept_fraction"] == pytest.approx(0.2)
    assert done["final_test_accuracy"] > 0.5  # chance is 0.1 on digits


def test_supermask_density_above_the_er_density_is_refused(tmp_path: Path) -> None:
    status, _, err = call("supermask", "--init_density=0.1", "--supermask_density=0.2", f"--root={tmp_path}")
    assert status == 2 and err.startswith("error:") and err.count("\n") == 1, err
    assert not tmp_path.exists() or not any(tmp_path.rglob("*.json"))


CARRY = [*RUN[:5], "--training_steps=1it", "--momentum=0.9", "--weight_decay=0", "--milestone_steps=", "--lr=0.1",
         "--quiet"]


def _level(root: Path, level: int) -> Path:
    return only(root, "supermask_*/replicate_1") / f"level_{level}" / "main"


def test_carry_optimizer_starts_level_1_from_level_0s_momentum_by_hand(tmp_path: Path) -> None:
    """One step per level: without carrying, level 1's update is lr * g; carrying it is lr * (0.9 * b0 + g),
    b0 being level 0's final momentum buffer, so the two runs' level-1 scores differ by exactly lr * 0.9 * b0."""
    fresh, carried = tmp_path / "fresh", tmp_path / "carried"
    assert call(*CARRY, f"--root={fresh}")[0] == 0
    status, _, err = call(*CARRY, "--carry_optimizer", f"--root={carried}")
    assert status == 0, err
    assert not (_level(fresh, 0) / "optimizer_final.pt").exists()
    state = torch.load(_level(carried, 0) / "optimizer_final.pt", weights_only=True)
    # LeNet has no buffers: its state_dict's keys are the parameters in the optimiser's order
    names = list(torch.load(_level(carried, 0) / "weights_final.pt", weights_only=True))
    start_a = torch.load(_level(fresh, 1) / "weights_start.pt", weights_only=True)
    start_b = torch.load(_level(carried, 1) / "weights_start.pt", weights_only=True)
    final_a = torch.load(_level(fresh, 1) / "weights_final.pt", weights_only=True)
    final_b = torch.load(_level(carried, 1) / "weights_final.pt", weights_only=True)
    scores = [(i, n) for i, n in enumerate(names) if n.startswith("scores.")]
    assert scores and all(i in state["state"] for i, _ in scores)
    for i, name in scores:
        b0 = state["state"][i]["momentum_buffer"]
        assert torch.equal(start_a[name], start_b[name])  # level 0 is the same in both runs
        assert b0.abs().sum() > 0
        torch.testing.assert_close(final_b[name], final_a[name] - 0.1 * 0.9 * b0, rtol=0, atol=1e-6)
    assert "optimizer_final.pt" in json.loads((_level(carried, 0) / "done.json").read_text())["integrity"]["files"]


def test_carried_optimizer_state_is_read_verified(tmp_path: Path) -> None:
    """A rerun that recomputes level 1 reads level 0's optimizer_final.pt against its done.json."""
    assert call(*CARRY, "--carry_optimizer", f"--root={tmp_path}")[0] == 0
    level1 = _level(tmp_path, 1)
    expected = torch.load(level1 / "weights_final.pt", weights_only=True)
    for f in level1.iterdir():
        f.unlink()
    assert call(*CARRY, "--carry_optimizer", f"--root={tmp_path}")[0] == 0  # recomputed from level 0's files
    again = torch.load(level1 / "weights_final.pt", weights_only=True)
    assert all(torch.equal(expected[k], again[k]) for k in expected)
    for f in level1.iterdir():
        f.unlink()
    path = _level(tmp_path, 0) / "optimizer_final.pt"
    state = torch.load(path, weights_only=True)
    next(iter(state["state"].values()))["momentum_buffer"].add_(1.0)
    torch.save(state, path)
    status, _, err = call(*CARRY, "--carry_optimizer", f"--root={tmp_path}")
    assert status != 0 and err.startswith("error:") and "optimizer_final.pt" in err, err
    assert not (level1 / "done.json").exists()
