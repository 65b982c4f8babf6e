"""Mask: construction, ignore semantics, counts, files, application, relations."""
from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.sparsity.mask import Mask, prunable_names
from sparselab.sparsity.report import density_report


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))


def test_ones_like_covers_prunable_tensors_and_skips_ignored():
    model = mlp()
    assert prunable_names(model) == ["0.weight", "2.weight", "4.weight"]
    mask = Mask.ones_like(model)
    assert list(mask.keys()) == ["0.weight", "2.weight", "4.weight"]
    assert mask.num_total == 30 + 20 + 12 and mask.density == 1.0
    ignored = Mask.ones_like(model, ignore=["4.weight"])
    assert "4.weight" not in ignored and ignored.num_total == 50


def test_unknown_ignored_name_lists_valid_names():
    with pytest.raises(UsageError, match="0.weight, 2.weight, 4.weight"):
        Mask.ones_like(mlp(), ignore=["fc.weight"])


def test_values_must_be_zero_or_one():
    with pytest.raises(UsageError):
        Mask({"a": torch.tensor([0.0, 0.5])})
    mask = Mask({"a": torch.tensor([0, 1, 1])})
    assert mask["a"].dtype == torch.bool and mask.num_kept == 2


def test_counts_and_density():
    mask = Mask({"a": torch.tensor([True, False, True, True]), "b": torch.zeros(4, dtype=torch.bool)})
    assert (mask.num_kept, mask.num_total) == (3, 8)
    assert mask.density == 3 / 8
    assert mask.kept_per_tensor() == {"a": 3, "b": 0}


def test_save_load_roundtrip_and_report(tmp_path):
    model = mlp()
    mask = Mask.ones_like(model)
    mask["0.weight"][0] = False  # 6 pruned
    assert not Mask.exists(tmp_path)
    mask.save(tmp_path, model=model)
    assert (tmp_path / layout.MASK).exists() and Mask.exists(tmp_path)
    loaded = Mask.load(tmp_path)
    assert loaded.equals(mask)
    report = json.loads((tmp_path / layout.SPARSITY_REPORT).read_text())
    assert report["tensors"]["0.weight"] == {"kept": 24, "total": 30, "density": 0.8}
    assert report["kept"] == 56 and report["total"] == 62
    params = sum(p.numel() for p in model.parameters())
    assert report["parameters_total"] == params
    assert report["density_all_parameters"] == pytest.approx((params - 6) / params)
    assert density_report(model, mask)["density"] == pytest.approx(56 / 62)


def test_save_without_model_has_mask_report_only(tmp_path):
    Mask({"a": torch.ones(3, dtype=torch.bool)}).save(tmp_path)
    report = json.loads((tmp_path / layout.SPARSITY_REPORT).read_text())
    assert report["density"] == 1.0 and "density_all_parameters" not in report


def test_load_missing_or_corrupt_is_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no mask"):
        Mask.load(tmp_path)
    (tmp_path / layout.MASK).write_bytes(b"not a checkpoint")
    with pytest.raises(UsageError):
        Mask.load(tmp_path)


def test_apply_zeroes_pruned_weights_in_place():
    model = mlp()
    mask = Mask.ones_like(model)
    mask["2.weight"][:, 1] = False
    before = model[2].weight.detach().clone()
    mask.apply_(model)
    assert torch.equal(model[2].weight[:, 1], torch.zeros(4))
    assert torch.equal(model[2].weight[:, 0], before[:, 0])


def test_apply_rejects_wrong_names_and_shapes():
    with pytest.raises(UsageError, match="not a parameter"):
        Mask({"nope.weight": torch.ones(2, dtype=torch.bool)}).apply_(mlp())
    with pytest.raises(UsageError, match="shape"):
        Mask({"0.weight": torch.ones(2, dtype=torch.bool)}).apply_(mlp())


def test_is_subset_of_treats_absent_tensors_as_dense():
    a = Mask({"x": torch.tensor([True, False]), "y": torch.tensor([True, True])})
    b = Mask({"x": torch.tensor([True, True])})
    assert a.is_subset_of(b)
    assert not b.is_subset_of(Mask({"x": torch.tensor([True, False])}))
    assert not b.is_subset_of(a)  # b keeps x[1], a does not
    assert Mask({"x": torch.tensor([True, False])}).is_subset_of(a)
    assert not Mask({"x": torch.tensor([True, False])}).is_subset_of(Mask({"y": torch.tensor([False])}))


def test_to_and_clone_are_independent_copies():
    a = Mask({"x": torch.tensor([True, False])})
    b = a.clone()
    b["x"][1] = True
    assert not a["x"][1]
    assert a.to("cpu").equals(a)
