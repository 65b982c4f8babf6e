"""speed/cpu_sgd.py: the update is torch.optim.SGD's bit for bit, its state round-trips in torch's format,
and building and stepping it does not import the compiler (the reason it exists)."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from sparselab.speed.cpu_sgd import SGD

SETTINGS = [dict(momentum=0.0, weight_decay=0.0), dict(momentum=0.9, weight_decay=1e-4),
            dict(momentum=0.9, weight_decay=5e-4, nesterov=True)]


def _net(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))


def _train(optimizer_class, settings: dict, steps: int = 4, model=None, optimizer=None):
    model = model or _net(0)
    optimizer = optimizer or optimizer_class(model.parameters(), lr=0.1, **settings)
    g = torch.Generator().manual_seed(1)
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss = model(torch.randn(8, 5, generator=g)).pow(2).mean()
        loss.backward()
        if step == 1:  # a parameter without a gradient this step is skipped, as torch skips it
            model[2].bias.grad = None
        optimizer.param_groups[0]["lr"] = 0.1 / (step + 1)
        optimizer.step()
    return model, optimizer


@pytest.mark.parametrize("settings", SETTINGS, ids=["plain", "momentum+wd", "nesterov"])
def test_weights_and_buffers_equal_torch_optim_sgd_bit_for_bit(settings: dict) -> None:
    ours, ours_opt = _train(SGD, settings)
    torch_model, torch_opt = _train(lambda p, **k: torch.optim.SGD(p, foreach=True, **k), settings)
    assert all(torch.equal(a, b) for a, b in zip(ours.parameters(), torch_model.parameters()))
    ours_state, torch_state = ours_opt.state_dict(), torch_opt.state_dict()
    assert ours_state["state"].keys() == torch_state["state"].keys()
    for key, saved in torch_state["state"].items():
        assert torch.equal(ours_state["state"][key]["momentum_buffer"], saved["momentum_buffer"])
    assert ours_state["param_groups"][0].items() <= torch_state["param_groups"][0].items()


def test_resuming_from_a_torch_written_state_continues_identically() -> None:
    """Checkpoints written with torch.optim.SGD load into SGD, and the continued run equals torch's."""
    settings = SETTINGS[1]
    torch_model, torch_opt = _train(lambda p, **k: torch.optim.SGD(p, foreach=True, **k), settings, steps=2)
    resumed = _net(5)
    resumed.load_state_dict(torch_model.state_dict())
    ours = SGD(resumed.parameters(), lr=0.1, **settings)
    ours.load_state_dict(torch_opt.state_dict())
    _train(None, settings, steps=2, model=resumed, optimizer=ours)
    _train(None, settings, steps=2, model=torch_model, optimizer=torch_opt)
    assert all(torch.equal(a, b) for a, b in zip(resumed.parameters(), torch_model.parameters()))
    with pytest.raises(ValueError, match="different number of parameters"):
        SGD(_net(0)[0].parameters(), lr=0.1).load_state_dict(torch_opt.state_dict())


@pytest.mark.parametrize("bad", [dict(lr=-1.0), dict(lr=0.1, momentum=-0.5), dict(lr=0.1, nesterov=True)])
def test_invalid_settings_are_refused_like_torch(bad: dict) -> None:
    with pytest.raises(ValueError):
        torch.optim.SGD(_net(0).parameters(), **bad)
    with pytest.raises(ValueError):
        SGD(_net(0).parameters(), **bad)


def test_building_and_stepping_does_not_import_the_compiler() -> None:
    code = ("import sys, torch\nfrom sparselab.speed.cpu_sgd import SGD\n"
            "m = torch.nn.Linear(3, 2)\no = SGD(m.parameters(), lr=0.1, momentum=0.9)\n"
            "m(torch.randn(4, 3)).sum().backward()\no.step()\no.load_state_dict(o.state_dict())\n"
            "print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
