"""Collapsed networks: prediction concentration at evaluation, the done.json keys, the level table."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from sparselab.experiments.lottery.table import level_table
from sparselab.store.levels import LevelStore
from sparselab.sparsity.mask import Mask
from sparselab.train import sparsity
from sparselab.train.evaluate import evaluate, top_prediction_fraction
from sparselab.train.metrics import CONSTANT_PREDICTION_FRACTION, collapse_reasons


class _Mlp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.input_shape = (1, 2, 2)
        self.fc1, self.fc2 = nn.Linear(4, 3), nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


def test_top_prediction_fraction_by_hand():
    assert top_prediction_fraction(torch.tensor([3, 3, 1, 3, 0])) == pytest.approx(3 / 5)
    assert top_prediction_fraction(torch.tensor([2, 2, 2])) == 1.0
    assert top_prediction_fraction(torch.tensor([], dtype=torch.int64)) is None


def test_evaluate_reports_a_constant_prediction():
    model = _Mlp()
    with torch.no_grad():
        model.fc2.weight.zero_()
        model.fc2.bias.copy_(torch.tensor([0.0, 1.0]))  # always class 1
    x, y = torch.randn(8, 1, 2, 2), torch.tensor([0, 1, 0, 1, 0, 0, 0, 1])
    out = evaluate(model, [(x, y)], "test")
    assert out["test_top_prediction_fraction"] == 1.0 and out["test_accuracy"] == pytest.approx(3 / 8)


def test_summary_marks_empty_tensors_and_lost_paths():
    model = _Mlp()
    mask = Mask.ones_like(model)
    full = sparsity.summary(model, mask)
    assert full["empty_prunable_tensors"] == [] and full["connected"] is True and full["weights_on_path"] == 18
    mask["fc2.weight"] = torch.zeros(2, 3, dtype=torch.bool)
    dead = sparsity.summary(model, mask)
    assert dead["empty_prunable_tensors"] == ["fc2.weight"] and dead["connected"] is False
    # no empty tensor, still no path: fc1 keeps only unit 0's inputs, fc2 only unit 2's outputs
    mask = Mask.ones_like(model)
    mask["fc1.weight"] = torch.tensor([[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=torch.bool)
    mask["fc2.weight"] = torch.tensor([[0, 0, 1], [0, 0, 1]], dtype=torch.bool)
    cut = sparsity.summary(model, mask)
    assert cut["empty_prunable_tensors"] == [] and cut["connected"] is False and cut["weights_on_path"] == 0


def test_collapse_reasons():
    assert collapse_reasons({}) == []  # a done.json from before these keys: nothing known, nothing claimed
    assert collapse_reasons({"empty_prunable_tensors": [], "connected": True,
                             "final_test_top_prediction_fraction": 0.12}) == []
    assert collapse_reasons({"empty_prunable_tensors": ["a", "b"]}) == ["empty tensor a (+1)"]
    assert collapse_reasons({"connected": False}) == ["no input-output path"]
    assert collapse_reasons({"final_test_top_prediction_fraction": CONSTANT_PREDICTION_FRACTION}) == \
        ["constant prediction"]
    assert collapse_reasons({"final_test_top_prediction_fraction": 0.98}) == []


def test_level_table_marks_collapsed_levels(tmp_path):
    dones = {0: {"density": 1.0, "final_test_accuracy": 0.97, "best_test_accuracy": 0.97, "connected": True,
                 "empty_prunable_tensors": [], "final_test_top_prediction_fraction": 0.11},
             1: {"density": 0.003, "final_test_accuracy": 0.234, "best_test_accuracy": 0.245, "connected": False,
                 "empty_prunable_tensors": [], "final_test_top_prediction_fraction": 1.0},
             2: {"density": 0.002, "final_test_accuracy": 0.1, "best_test_accuracy": 0.1}}  # an old done.json
    for level, done in dones.items():
        directory = tmp_path / f"level_{level}" / "main"
        directory.mkdir(parents=True)
        (directory / "hparams.json").write_text(json.dumps({"command": "lottery"}))  # old jobs: no provenance
        (directory / "done.json").write_text(json.dumps(done))
    lines = level_table(LevelStore(tmp_path, "lottery"), range(3)).splitlines()
    assert lines[0].split()[-1] == "collapsed"
    assert "COLLAPSED: no input-output path, constant prediction" in lines[2]
    assert "COLLAPSED" not in lines[1] and "COLLAPSED" not in lines[3]
    assert "collapsed" not in level_table(LevelStore(tmp_path, "lottery"), range(1))  # no column when nothing collapsed


@pytest.mark.slow
def test_dead_levels_are_marked_end_to_end(tmp_path):
    """Random pruning to 0.1 % and 0.01 %: the level table and the report CSV mark those levels."""
    import subprocess
    import sys

    from sparselab.analysis.reports.rows import read_csv

    root = Path(__file__).resolve().parents[2]
    flags = ["--pruning_strategy=random", "--pruning_fraction=0.9", "--levels=4", "--training_steps=2ep",
             "--root", str(tmp_path / "runs")]
    run = subprocess.run([sys.executable, "main.py", "lottery", *flags, "--quiet"], cwd=root, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    table = run.stdout.splitlines()[-5:]
    assert "COLLAPSED" not in table[0] and "COLLAPSED: no input-output path" in table[4]
    csv_path = tmp_path / "r.csv"
    report = subprocess.run([sys.executable, "main.py", "report", "lottery", *flags, "--csv", str(csv_path)],
                            cwd=root, capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    rows = {r["level"]: r for r in read_csv(csv_path)}
    assert rows[0]["collapsed"] is False and rows[4]["collapsed"] is True
    assert "no input-output path" in rows[4]["collapse_reason"]
