"""`sparselab.load_job` opens `supermask` and `str` jobs: the plain network with the effective weights."""
from __future__ import annotations

import pytest
import torch

import sparselab
from tickets_helpers import call, only

SUPERMASK = ["supermask", "--init_density=0.5", "--init_pruning_distribution=er", "--supermask_density=0.2",
             "--levels=1", "--training_steps=1ep", "--quiet", "--threads=1"]
STR = ["str", "--init_density=0.5", "--init_pruning_distribution=balanced", "--str_s_init=-3",
       "--training_steps=2ep", "--quiet", "--threads=1"]


def accuracy(job) -> float:
    correct = total = 0
    with torch.no_grad():
        for images, labels in job.test_loader():
            correct += int((job.model(images).argmax(1) == labels).sum())
            total += labels.numel()
    return correct / total


def test_load_job_opens_a_supermask_level(tmp_path):
    assert call(*SUPERMASK, f"--root={tmp_path}")[0] == 0
    directory = only(tmp_path, "supermask_*/replicate_1/level_0/main")
    job = sparselab.load_job(directory)
    stored = torch.load(directory / "weights_final.pt", weights_only=True)
    selection = torch.load(directory / "supermask.pt", weights_only=True)
    weights = dict(job.model.named_parameters())
    for name, chosen in selection.items():
        assert torch.equal(weights[name].detach(), stored[f"net.{name}"] * chosen)  # frozen weights x selection
        assert torch.equal(job.mask[name], chosen.bool())
    assert accuracy(job) == pytest.approx(job.result["final_test_accuracy"], abs=1e-6)  # stored as float32


def test_load_job_opens_an_str_job(tmp_path):
    assert call(*STR, f"--root={tmp_path}")[0] == 0
    directory = only(tmp_path, "str_*/replicate_1/main")
    job = sparselab.load_job(directory)
    stored = torch.load(directory / "weights_final.pt", weights_only=True)
    er = torch.load(directory / "mask.pt", weights_only=True)
    weights = dict(job.model.named_parameters())
    for name, m in er.items():
        w, s = stored[f"net.{name}"], stored[f"thresholds.{name.replace('.', '__')}"]
        effective = m * torch.sign(w) * torch.clamp(w.abs() - 1 / (1 + torch.exp(-s)), min=0)
        assert torch.allclose(weights[name].detach(), effective, atol=1e-7)
    assert job.mask.density == job.result["density"]
    assert accuracy(job) == pytest.approx(job.result["final_test_accuracy"], abs=1e-6)  # stored as float32
