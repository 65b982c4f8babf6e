"""DSTHook on a toy model with hand-set weights and gradients: what is dropped, grown and zeroed."""
from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.sparsity.dst.hook import DSTHook
from sparselab.sparsity.dst.plan import DSTPlan, cubic_density, drop_fraction
from sparselab.sparsity.mask import Mask

FREQ = 10


def toy_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(12, 10, bias=False), nn.ReLU(), nn.Linear(10, 6))


def half_mask(model: nn.Module, seed: int = 1, density: float = 0.5) -> Mask:
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name in ("0.weight", "2.weight"):
        p = dict(model.named_parameters())[name]
        scores = torch.rand(p.shape, generator=g).flatten()
        keep = torch.zeros(p.numel(), dtype=torch.bool)
        keep[scores.argsort(descending=True)[: round(density * p.numel())]] = True
        out[name] = keep.view(p.shape)
    return Mask(out)


def setup(method: str = "rigl", **plan_kwargs):
    model = toy_model()
    mask = half_mask(model)
    mask.apply_(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    kwargs = dict(method=method, update_frequency=FREQ, drop_fraction=0.3, drop_schedule="cosine", end=100, seed=3)
    kwargs.update(plan_kwargs)
    hook = DSTHook(mask, DSTPlan(**kwargs))
    hook.on_start(model, optimizer, 0)
    return model, optimizer, hook


def train_step(model, optimizer, hook, iteration: int, grads: dict[str, torch.Tensor] | None = None) -> None:
    """One loop iteration: backward on random data (or hand-set gradients), hooks, optimiser step."""
    optimizer.zero_grad(set_to_none=True)
    g = torch.Generator().manual_seed(100 + iteration)
    x, y = torch.randn(16, 12, generator=g), torch.randint(0, 6, (16,), generator=g)
    nn.functional.cross_entropy(model(x), y).backward()
    if grads is not None:
        params = dict(model.named_parameters())
        for name, value in grads.items():
            params[name].grad = value.clone()
    hook.before_optimizer_step(model, optimizer, iteration)
    optimizer.step()
    hook.after_optimizer_step(model, optimizer, iteration)


def distinct(shape, seed: int) -> torch.Tensor:
    """Values with distinct magnitudes (no ties) and mixed signs."""
    g = torch.Generator().manual_seed(seed)
    n = math.prod(shape)
    magnitudes = (torch.randperm(n, generator=g).float() + 1) / n
    signs = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    return (magnitudes * signs).view(shape)


def test_rigl_update_drops_smallest_and_grows_largest_gradients():
    model, optimizer, hook = setup("rigl")
    for t in range(1, FREQ):
        train_step(model, optimizer, hook, t)
    params = dict(model.named_parameters())
    with torch.no_grad():  # hand-set weights with distinct magnitudes at the active positions
        for name, m in hook.mask.items():
            params[name].copy_(distinct(m.shape, seed=7) * m)
    grads = {name: distinct(m.shape, seed=11) for name, m in hook.mask.items()}
    before = {n: m.clone() for n, m in hook.mask.items()}
    weights = {n: params[n].detach().clone() for n in before}
    p = drop_fraction("cosine", 0.3, FREQ, 100)

    optimizer.zero_grad(set_to_none=True)
    for name, value in grads.items():
        params[name].grad = value.clone()
    hook.before_optimizer_step(model, optimizer, FREQ)

    for name, old in before.items():
        new = hook.mask[name]
        n = int(old.sum())
        k = math.ceil(p * n)
        assert int(new.sum()) == n  # per-layer count unchanged
        dropped = old & ~new
        grown = new & ~old
        assert int(dropped.sum()) == k and int(grown.sum()) == k
        active_w = weights[name].abs()[old]
        assert torch.equal(weights[name].abs()[dropped].sort().values, active_w.sort().values[:k])
        inactive_g = grads[name].abs()[~old]
        assert torch.equal(grads[name].abs()[grown].sort().values, inactive_g.sort().values[-k:])
        # grown weights: zero weight, zero gradient for this step, zero momentum
        assert bool((params[name][grown] == 0).all())
        assert bool((params[name].grad[grown] == 0).all())
        assert bool((params[name].grad[~new] == 0).all())
        buf = optimizer.state[params[name]]["momentum_buffer"]
        assert bool((buf[grown] == 0).all()) and bool((buf[dropped] == 0).all())
    assert hook.mask.num_kept == sum(int(m.sum()) for m in before.values())
    optimizer.step()
    hook.after_optimizer_step(model, optimizer, FREQ)
    for name, old in before.items():
        grown = hook.mask[name] & ~old
        buf = optimizer.state[params[name]]["momentum_buffer"]
        assert bool((params[name][grown] == 0).all()) and bool((buf[grown] == 0).all())
        assert bool((params[name][~hook.mask[name]] == 0).all())
    row = hook.history.rows[-1]
    assert row["iteration"] == FREQ and row["moved"] == sum(math.ceil(p * int(m.sum())) for m in before.values())
    assert hook.metrics() == {"density": 0.5, "dst_moved_total": row["moved"]}


@pytest.mark.parametrize("method", ["set", "rigl", "momentum"])
def test_counts_and_density_exact_after_every_update(method):
    model, optimizer, hook = setup(method)
    counts = hook.mask.kept_per_tensor()
    total = hook.mask.num_kept
    for t in range(1, 61):
        train_step(model, optimizer, hook, t)
        assert hook.mask.kept_per_tensor() == counts
        assert hook.mask.num_kept == total and hook.mask.density == 0.5
        for name, p in model.named_parameters():
            if name in hook.mask:
                assert bool((p[~hook.mask[name]] == 0).all())
    assert [r["iteration"] for r in hook.history.rows] == [10, 20, 30, 40, 50, 60]
    assert hook.history.moved_total > 0


def test_drop_fraction_follows_schedule_and_stops_at_end():
    for schedule in ("cosine", "linear", "constant"):
        model, optimizer, hook = setup("set", drop_schedule=schedule, end=50)
        counts = hook.mask.kept_per_tensor()
        for t in range(1, 71):
            train_step(model, optimizer, hook, t)
        rows = hook.history.rows
        assert [r["iteration"] for r in rows] == [10, 20, 30, 40]  # none at or after end = 50
        for r in rows:
            expected = drop_fraction(schedule, 0.3, r["iteration"], 50)
            assert r["drop_fraction"] == pytest.approx(expected)
            assert r["moved"] == sum(math.ceil(expected * c) for c in counts.values())
    assert drop_fraction("cosine", 0.3, 0, 50) == pytest.approx(0.3)
    assert drop_fraction("cosine", 0.3, 25, 50) == pytest.approx(0.15)
    assert drop_fraction("linear", 0.5, 40, 50) == pytest.approx(0.1)
    assert drop_fraction("constant", 0.5, 49, 50) == 0.5 and drop_fraction("constant", 0.5, 50, 50) == 0.0


def test_random_growth_is_seeded():
    masks = []
    for seed in (3, 3, 4):
        model, optimizer, hook = setup("set", seed=seed)
        for t in range(1, 21):
            train_step(model, optimizer, hook, t)
        masks.append(hook.mask.to("cpu"))
    assert masks[0].equals(masks[1]) and not masks[0].equals(masks[2])


def test_momentum_growth_uses_dense_gradient_momentum():
    model, optimizer, hook = setup("momentum", momentum_beta=0.5)
    params = dict(model.named_parameters())
    grads = [{n: distinct(m.shape, seed=20 + t) for n, m in hook.mask.items()} for t in range(FREQ)]
    for t in range(1, FREQ):
        train_step(model, optimizer, hook, t, grads[t])
    before = {n: m.clone() for n, m in hook.mask.items()}
    train_step_grads = grads[0]
    expected_m = {n: torch.zeros_like(m, dtype=torch.float32) for n, m in before.items()}
    for t in range(1, FREQ):
        for n in expected_m:
            expected_m[n] = 0.5 * expected_m[n] + grads[t][n]
    for n in expected_m:
        expected_m[n] = 0.5 * expected_m[n] + train_step_grads[n]
    train_step(model, optimizer, hook, FREQ, train_step_grads)
    p = drop_fraction("cosine", 0.3, FREQ, 100)
    for n, old in before.items():
        grown = hook.mask[n] & ~old
        k = math.ceil(p * int(old.sum()))
        top = expected_m[n].abs()[~old].sort().values[-k:]
        assert torch.allclose(expected_m[n].abs()[grown].sort().values, top)
        assert bool((params[n][grown] == 0).all())


def test_redistribution_moves_weights_between_layers_but_keeps_the_total():
    model, optimizer, hook = setup("rigl", redistribute=True, drop_fraction=0.5, drop_schedule="constant")
    counts = hook.mask.kept_per_tensor()
    for t in range(1, FREQ):
        train_step(model, optimizer, hook, t)
    grads = {"0.weight": torch.full((10, 12), 1e-3), "2.weight": torch.full((6, 10), 1.0)}
    train_step(model, optimizer, hook, FREQ, grads)
    after = hook.mask.kept_per_tensor()
    assert sum(after.values()) == sum(counts.values())
    drop0 = math.ceil(0.5 * counts["0.weight"])
    drop2 = math.ceil(0.5 * counts["2.weight"])
    # every regrown weight goes to the layer with the large gradients, which has room for them all
    assert after["2.weight"] == counts["2.weight"] - drop2 + min(drop0 + drop2, 60 - counts["2.weight"])
    assert after["0.weight"] < counts["0.weight"]


def test_granet_follows_the_cubic_density_schedule():
    model, optimizer, hook = setup("granet", init_density=None, final_density=0.1, prune_start=10, prune_end=60,
                                   end=80)
    total = hook.mask.num_total
    previous = hook.mask.num_kept
    for t in range(1, 101):
        train_step(model, optimizer, hook, t)
        if t % FREQ == 0:
            target = round(cubic_density(t, 10, 60, 0.5, 0.1) * total)
            assert hook.mask.num_kept == min(previous, target)
            previous = hook.mask.num_kept
    assert hook.mask.num_kept == round(0.1 * total)
    assert cubic_density(35, 10, 60, 0.5, 0.1) == pytest.approx(0.1 + 0.4 * 0.5 ** 3)
    rows = hook.history.rows
    assert sum(r["pruned"] for r in rows) == round(0.5 * total) - round(0.1 * total)
    assert any(r["moved"] > 0 for r in rows if r["iteration"] > 60)  # regrowth continues after pruning ends


def test_state_dict_round_trip_resumes_identically():
    model_a, opt_a, hook_a = setup("momentum", momentum_beta=0.9)
    for t in range(1, 26):
        train_step(model_a, opt_a, hook_a, t)
    state = copy.deepcopy({"model": model_a.state_dict(), "opt": opt_a.state_dict(), "hook": hook_a.state_dict()})
    for t in range(26, 51):
        train_step(model_a, opt_a, hook_a, t)

    model_b = toy_model(seed=5)
    opt_b = torch.optim.SGD(model_b.parameters(), lr=0.1, momentum=0.9)
    hook_b = DSTHook(half_mask(model_b, seed=9), hook_a.plan)
    model_b.load_state_dict(state["model"])
    opt_b.load_state_dict(state["opt"])
    hook_b.load_state_dict(state["hook"])
    for t in range(26, 51):
        train_step(model_b, opt_b, hook_b, t)
    assert hook_a.mask.equals(hook_b.mask)
    assert all(torch.equal(a, b) for a, b in zip(model_a.state_dict().values(), model_b.state_dict().values()))
    assert hook_a.history.rows == hook_b.history.rows


def test_dense_mask_is_refused_for_methods_that_only_move_weights():
    model = toy_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    hook = DSTHook(Mask.ones_like(model), DSTPlan(method="rigl", update_frequency=10, drop_fraction=0.3, end=100))
    with pytest.raises(UsageError, match="sparse mask"):
        hook.on_start(model, optimizer, 0)
    with pytest.raises(UsageError, match="update_frequency"):
        DSTPlan(method="rigl", update_frequency=0, drop_fraction=0.3, end=100)
