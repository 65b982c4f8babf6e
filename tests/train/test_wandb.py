"""--wandb: the metrics.csv rows go to a Weights & Biases run (a fake module here: no network, no
package needed), the job directory does not change, and without the package it is one error line."""
from __future__ import annotations

import csv
import importlib.machinery
import importlib.util
import sys
import types

import pytest

from helpers import run_main
from sparselab.main import main


class FakeRun:
    def __init__(self, **kwargs):
        self.init = kwargs
        self.logged: list[tuple[int, dict]] = []
        self.finished = False

    def log(self, values, step):
        self.logged.append((step, values))

    def finish(self):
        self.finished = True


@pytest.fixture
def fake_wandb(monkeypatch):
    module = types.ModuleType("wandb")
    module.__spec__ = importlib.machinery.ModuleSpec("wandb", None)
    module.runs = []

    def init(**kwargs):
        module.runs.append(FakeRun(**kwargs))
        return module.runs[-1]

    module.init = init
    monkeypatch.setitem(sys.modules, "wandb", module)
    return module


def test_wandb_gets_every_metrics_row(tmp_path, fake_wandb, capsys):
    assert main(["train", f"--root={tmp_path}", "--training_steps=3it", "--loggers=wandb", "--quiet"]) == 0
    (run,) = fake_wandb.runs
    (job,) = tmp_path.glob("train_*/replicate_1/main")
    with open(job / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [step for step, _ in run.logged] == [int(r["iteration"]) for r in rows] == [0, 3]
    assert run.logged[-1][1]["test/accuracy"] == pytest.approx(float(rows[-1]["test_accuracy"]))
    assert run.init["dir"] == str(job) and run.init["config"]["training"]["training_steps"] == "3it"
    assert run.finished


def test_wandb_does_not_change_the_directory(tmp_path, fake_wandb, capsys):
    paths = []
    for extra in ([], ["--loggers=wandb"]):
        assert main(["train", f"--root={tmp_path}", "--print_path", *extra]) == 0
        paths.append(capsys.readouterr().out)
    assert paths[0] == paths[1] and "train_" in paths[0]


def test_wandb_missing_is_one_error_line(tmp_path):
    if importlib.util.find_spec("wandb") is not None:
        pytest.skip("wandb is installed")
    proc = run_main("train", f"--root={tmp_path}", "--training_steps=2it", "--loggers=wandb", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["error: --loggers=wandb needs the wandb package: pip install wandb"]
    assert list(tmp_path.iterdir()) == []
