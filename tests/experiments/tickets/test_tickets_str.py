"""STR from an ER start: the soft threshold by hand, a digits run that learns sparsity inside a balanced
ER mask and records its layer densities per epoch, and STR-induced ER layer ratios."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from sparselab.core.csvfile import read_rows
from sparselab.sparsity.distributions import RuleOptions, str_induced_er
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.str_ import LAYER_DENSITIES_FILE, soft_threshold
from tickets_helpers import call, only

STR_RUN = ["str", "--init_density=0.5", "--init_pruning_distribution=balanced", "--str_s_init=-3",
           "--training_steps=2ep", "--quiet"]


def test_soft_threshold_by_hand() -> None:
    w = torch.tensor([0.5, -0.2, 0.05, -0.6])
    s = torch.tensor(-math.log(9.0))  # sigmoid(s) = 0.1
    assert soft_threshold(w, s).tolist() == pytest.approx([0.4, -0.1, 0.0, -0.5])
    assert soft_threshold(w, torch.tensor(0.0)).tolist() == pytest.approx([0.0, 0.0, 0.0, -0.1])


def test_str_induced_er_rule_rescales_the_ratios_by_hand() -> None:
    # STR found a: 0.2 of 100, b: 0.8 of 50 -> overall (20 + 40) / 150 = 0.4; target 0.2 halves both.
    options = RuleOptions(layer_ratios=(("a", 0.2), ("b", 0.8)), ratio_total=0.4)
    shapes = {"a": (10, 10), "b": (10, 5)}
    assert str_induced_er.rule(shapes, 0.2, options=options) == pytest.approx({"a": 0.1, "b": 0.4})
    # Target 0.6: b would need 1.2 and is dense; the excess is not handed on (as published).
    assert str_induced_er.rule(shapes, 0.6, options=options) == pytest.approx({"a": 0.3, "b": 1.0})


@pytest.fixture(scope="module")
def str_job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("str")
    status, _, err = call(*STR_RUN, f"--root={root}")
    assert status == 0, err
    return only(root, "str_*/replicate_1/main")


def test_str_from_balanced_er_ends_below_its_start_and_records_layers(str_job: Path) -> None:
    er = Mask(torch.load(str_job / "mask.pt", weights_only=True))
    done = json.loads((str_job / "done.json").read_text())
    assert done["er_density"] == pytest.approx(er.density)
    assert done["density"] < er.density
    rows = read_rows(str_job / LAYER_DENSITIES_FILE)
    assert [r["iteration"] for r in rows] == [0, 23, 46] and [r["epoch"] for r in rows] == [0, 1, 2]
    for row in rows:
        per_layer = {n: row[f"density[{n}]"] for n in er.keys()}
        kept = sum(per_layer[n] * er[n].numel() for n in er.keys())
        assert row["density"] == pytest.approx(kept / er.num_total)
        assert all(per_layer[n] <= er[n].float().mean().item() + 1e-12 for n in er.keys())
    weights = torch.load(str_job / "weights_final.pt", weights_only=True)
    assert any(k.startswith("thresholds.") for k in weights)


def test_str_induced_er_takes_the_ratios_of_the_str_job(str_job: Path, tmp_path: Path) -> None:
    status, _, err = call("train", "--init_density=0.2", "--init_pruning_distribution=str_induced_er",
                          f"--str_ratios_from={str_job}", "--training_steps=1it", "--quiet", f"--root={tmp_path}")
    assert status == 0, err
    mask = Mask(torch.load(only(tmp_path, "train_*/replicate_1/main") / "mask.pt", weights_only=True))
    last = read_rows(str_job / LAYER_DENSITIES_FILE)[-1]
    for name, m in mask.items():
        expected = min(1.0, last[f"density[{name}]"] * 0.2 / last["density"])
        assert int(m.sum()) == pytest.approx(expected * m.numel(), abs=1.0)


@pytest.mark.parametrize("argv,message", [
    (["train", "--init_density=0.2", "--init_pruning_distribution=str_induced_er"], "needs --str_ratios_from"),
    (["train", "--init_density=0.2", "--str_ratios_from=x"], "--str_ratios_from exists only with --init_pruning_distribution=str_induced_er"),
    (["train", "--init_density=0.2", "--init_pruning_distribution=str_induced_er", "--str_ratios_from=/nowhere"],
     "not a finished str job"),
    (["str", "--st_decay=0.1", "--optimizer_name=adamw"], "adamw"),
])
def test_bad_str_flags_are_one_line(argv: list[str], message: str, tmp_path: Path) -> None:
    status, _, err = call(*argv, "--training_steps=1it", f"--root={tmp_path}")
    assert status == 2 and err.startswith("error:") and err.count("\n") == 1 and message in err, err
    assert not tmp_path.exists() or not any(tmp_path.rglob("*.json"))


def test_st_decay_replaces_the_weight_decay_of_the_thresholds() -> None:
    from torch import nn

    from sparselab.sparsity.str_ import STRNet
    from sparselab.experiments.tickets.runners import STRHook

    net = nn.Linear(3, 2)
    wrapped = STRNet(net, Mask({"weight": torch.ones(2, 3, dtype=torch.bool)}), s_init=-2.0)
    s = wrapped.thresholds["weight"]
    s.grad = torch.tensor(0.5)
    STRHook(wrapped, st_decay=0.1, weight_decay=0.03, ipe=1, directory=None).before_optimizer_step(net, None, 0)
    # SGD then adds weight_decay * s itself: 0.5 + (0.1 - 0.03) * (-2) + 0.03 * (-2) = 0.5 + 0.1 * (-2)
    assert float(s.grad) == pytest.approx(0.5 + 0.07 * -2.0)
    s.grad = torch.tensor(0.5)
    STRHook(wrapped, st_decay=None, weight_decay=0.03, ipe=1, directory=None).before_optimizer_step(net, None, 0)
    assert float(s.grad) == 0.5
