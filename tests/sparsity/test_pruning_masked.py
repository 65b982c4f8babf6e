"""MaskHook: pruned weights exactly zero for SGD/Adam/AdamW, optimiser state zero, re-dense, resume."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from sparselab.sparsity.mask import Mask
from sparselab.sparsity.masked import OPTIMIZER_STATE_KEYS, MaskHook

OPTIMIZERS = {
    "sgd_momentum_wd_nesterov": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    "sgd_plain_wd": lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.1),
    "adam_wd": lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.5),
    "adam_amsgrad": lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True),
}


def setup(seed: int = 0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    mask = Mask.ones_like(model)
    mask["0.weight"] = torch.rand(8, 6) > 0.5
    mask["2.weight"] = torch.rand(3, 8) > 0.3
    return model, mask, x, y


def step(model, optimizer, hook, x, y, iteration):
    optimizer.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(model(x), y).backward()
    hook.before_optimizer_step(model, optimizer, iteration)
    optimizer.step()
    hook.after_optimizer_step(model, optimizer, iteration)


def dense_steps(model, optimizer, x, y, n=3):
    """Build up optimiser state everywhere (momentum at positions that will be pruned)."""
    for _ in range(n):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


def pruned_values(model, mask):
    params = dict(model.named_parameters())
    return torch.cat([params[n].detach()[~m] for n, m in mask.items()])


def pruned_state(model, optimizer, mask):
    params = dict(model.named_parameters())
    values = []
    for n, m in mask.items():
        state = optimizer.state[params[n]]
        values += [state[k][~m] for k in OPTIMIZER_STATE_KEYS if k in state]
    return torch.cat(values) if values else torch.zeros(0)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_pruned_weights_and_state_exactly_zero_after_every_step(name):
    model, mask, x, y = setup()
    optimizer = OPTIMIZERS[name](model.parameters())
    dense_steps(model, optimizer, x, y)
    if name != "sgd_plain_wd":  # (plain SGD has no state) the test would be vacuous otherwise
        assert pruned_state(model, optimizer, mask).abs().sum() > 0
    hook = MaskHook(mask)
    hook.on_start(model, optimizer, 0)
    assert torch.count_nonzero(pruned_values(model, mask)) == 0
    assert torch.count_nonzero(pruned_state(model, optimizer, mask)) == 0
    kept_before = model[0].weight.detach()[mask["0.weight"]].clone()
    for it in range(6):
        step(model, optimizer, hook, x, y, it)
        assert torch.count_nonzero(pruned_values(model, mask)) == 0
        assert torch.count_nonzero(pruned_state(model, optimizer, mask)) == 0
    assert not torch.equal(model[0].weight.detach()[mask["0.weight"]], kept_before)  # kept weights train


def test_metrics_report_mask_density_and_state_dict_roundtrip():
    model, mask, x, y = setup()
    hook = MaskHook(mask, regain_at_iteration=5)
    assert hook.metrics() == {"density": pytest.approx(mask.density)}
    restored = MaskHook(Mask.ones_like(model), regain_at_iteration=5)
    restored.load_state_dict(hook.state_dict())
    assert restored.mask.equals(mask) and restored.regained is False
    assert restored.metrics()["density"] == pytest.approx(mask.density)


def test_resumed_hook_keeps_masking_without_on_start():
    model, mask, x, y = setup()
    optimizer = OPTIMIZERS["sgd_momentum_wd_nesterov"](model.parameters())
    hook = MaskHook(mask)
    hook.on_start(model, optimizer, 0)
    step(model, optimizer, hook, x, y, 0)
    resumed = MaskHook(Mask())
    resumed.load_state_dict(hook.state_dict())
    for it in range(1, 4):  # the loop calls no on_start on resume
        step(model, optimizer, resumed, x, y, it)
        assert torch.count_nonzero(pruned_values(model, mask)) == 0


@pytest.mark.parametrize("name", ["sgd_momentum_wd_nesterov", "adamw"])
def test_regain_at_iteration_redenses_from_zero(name):
    model, mask, x, y = setup()
    optimizer = OPTIMIZERS[name](model.parameters())
    hook = MaskHook(mask, regain_at_iteration=3)
    hook.on_start(model, optimizer, 0)
    for it in range(3):
        step(model, optimizer, hook, x, y, it)
        assert torch.count_nonzero(pruned_values(model, mask)) == 0
    # Iteration 3: the switch happens before the step; regained weights are 0 with zero state.
    optimizer.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(model(x), y).backward()
    hook.before_optimizer_step(model, optimizer, 3)
    assert hook.regained and hook.metrics()["density"] == 1.0
    assert torch.count_nonzero(pruned_values(model, mask)) == 0
    assert torch.count_nonzero(pruned_state(model, optimizer, mask)) == 0
    optimizer.step()
    hook.after_optimizer_step(model, optimizer, 3)
    for it in range(4, 8):
        step(model, optimizer, hook, x, y, it)
    assert torch.count_nonzero(pruned_values(model, mask)) > 0.9 * int((~mask["0.weight"]).sum() + (~mask["2.weight"]).sum())


def test_regain_already_past_at_start_is_dense():
    model, mask, x, y = setup()
    optimizer = OPTIMIZERS["adam_wd"](model.parameters())
    hook = MaskHook(mask, regain_at_iteration=2)
    hook.on_start(model, optimizer, 5)
    assert hook.regained and hook.metrics()["density"] == 1.0


def test_set_mask_prunes_and_regrows_from_zero():
    model, mask, x, y = setup()
    optimizer = OPTIMIZERS["sgd_momentum_wd_nesterov"](model.parameters())
    hook = MaskHook(mask)
    hook.on_start(model, optimizer, 0)
    for it in range(3):
        step(model, optimizer, hook, x, y, it)
    new = Mask({n: ~m for n, m in mask.items()})  # everything swaps: all kept pruned, all pruned regrown
    hook.set_mask(new, model, optimizer)
    params = dict(model.named_parameters())
    for n in mask.keys():
        assert torch.count_nonzero(params[n].detach()) == 0  # pruned ones zeroed, regrown ones start at 0
        assert torch.count_nonzero(optimizer.state[params[n]]["momentum_buffer"]) == 0
    step(model, optimizer, hook, x, y, 3)
    step(model, optimizer, hook, x, y, 4)
    assert torch.count_nonzero(pruned_values(model, new)) == 0
    assert torch.count_nonzero(params["2.weight"].detach()[new["2.weight"]]) > 0  # regrown weights train
    assert hook.metrics()["density"] == pytest.approx(new.density)


def test_with_the_training_loop(tmp_path: Path):
    """The real loop: pruned weights are zero at the end and the density is logged."""
    from sparselab.train.hparams import TrainingHparams
    from sparselab.train.loop import TrainSetup, train

    model, mask, x, y = setup()
    loader = SimpleNamespace(iterations_per_epoch=2, batch_size=16, num_examples=x.shape[0],
                             epoch=lambda ep, it: iter([(x[:16], y[:16]), (x[16:], y[16:])][it:]))
    hparams = TrainingHparams(lr=0.1, momentum=0.9, weight_decay=0.01, training_steps="2ep")
    hook = MaskHook(mask, regain_at_iteration=None)
    setup_ = TrainSetup(model=model, hparams=hparams, train_loader=loader, test_batches=lambda: [(x, y)],
                        out_dir=tmp_path, device=torch.device("cpu"), start_iteration=0, end_iteration=4,
                        hooks=[hook], verbose=False)
    log = train(setup_)
    assert torch.count_nonzero(pruned_values(model, mask)) == 0
    assert log.rows[-1]["density"] == pytest.approx(mask.density)


def test_channels_last_parameters():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 4 * 4, 2)).to(memory_format=torch.channels_last)
    mask = Mask.ones_like(model)
    mask["0.weight"] = torch.rand(4, 3, 3, 3) > 0.5
    optimizer = OPTIMIZERS["sgd_momentum_wd_nesterov"](model.parameters())
    hook = MaskHook(mask)
    hook.on_start(model, optimizer, 0)
    x, y = torch.randn(5, 3, 6, 6).to(memory_format=torch.channels_last), torch.randint(0, 2, (5,))
    for it in range(3):
        step(model, optimizer, hook, x, y, it)
    assert torch.count_nonzero(model[0].weight.detach()[~mask["0.weight"]]) == 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_on_gpu():
    from sparselab.sparsity.context import ScoreContext
    from sparselab.sparsity.hparams import PruningHparams
    from sparselab.sparsity.prune import prune

    model, mask, x, y = setup()
    model, x, y = model.cuda(), x.cuda(), y.cuda()
    optimizer = OPTIMIZERS["adamw"](model.parameters())
    hook = MaskHook(mask)
    hook.on_start(model, optimizer, 0)
    for it in range(3):
        step(model, optimizer, hook, x, y, it)
    assert torch.count_nonzero(pruned_values(model, mask)) == 0
    new = prune(model, mask, PruningHparams(), ScoreContext())
    assert new.is_subset_of(mask) and new["0.weight"].device.type == "cpu"
