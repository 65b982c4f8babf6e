"""A model, dataset or score registered from user code, also under --workers and SLURM (--plugins)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import call_main, env
from sparselab.core import plugins

SCRIPT = '''
import sys

import torch
from torch import nn

import sparselab
from sparselab.models.base import Model


class TinyMLP(Model):
    def __init__(self, input_shape, num_classes):
        super().__init__(input_shape, num_classes)
        c, h, w = input_shape
        self.hidden = nn.Linear(c * h * w, 16)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        return self.fc(torch.relu(self.hidden(x.flatten(1))))


sparselab.register_model("tiny_mlp", TinyMLP)

if __name__ == "__main__":
    sparselab.run("train", model_name="tiny_mlp", training_steps="2it", replicates="1-2", workers=2,
                  root=sys.argv[1], threads=1, quiet=True)
    print("ran")
'''


@pytest.fixture
def no_plugins(monkeypatch):
    """This process's plugins start empty and are forgotten after the test."""
    monkeypatch.setattr(plugins, "LOADED", [])
    from sparselab.models import registry

    monkeypatch.setattr(registry, "FAMILIES", list(registry.FAMILIES))


def _script(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "my_script.py"
    path.write_text(SCRIPT)
    return path


def test_a_model_registered_in_a_user_script_trains_under_two_workers(tmp_path):
    script = _script(tmp_path / "user")
    runs = tmp_path / "runs"
    done = subprocess.run([sys.executable, str(script), str(runs)], capture_output=True, text=True, env=env(),
                          cwd=tmp_path / "user", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ran" in done.stdout
    finished = sorted(runs.glob("train_*/replicate_*/main/done.json"))
    assert len(finished) == 2
    import json

    record = json.loads((finished[0].parent / "hparams.json").read_text())
    assert record["model"]["model_name"] == "tiny_mlp"


def test_plugins_flag_imports_a_file_and_is_carried_to_children(tmp_path, no_plugins):
    script = _script(tmp_path)
    status, out, err = call_main([f"--plugins={script}", "train", f"--root={tmp_path / 'runs'}",
                                  "--model_name=tiny_mlp", "--print_path"])
    assert status == 0, err
    assert "train_" in out
    assert plugins.flags() == [f"--plugins={script.resolve()}"]  # what workers and SLURM tasks get
    from sparselab.platforms import slurm, workers
    from sparselab.platforms.grid import expand

    job = expand("train", ["--model_name=tiny_mlp", "--replicates=1-2"]).jobs()[0]
    assert workers.job_command(job, 1, None)[-1] == f"--plugins={script.resolve()}"
    submission = slurm.parse("train", ["--model_name=tiny_mlp", "--platform=slurm"])
    assert all(flags[-1] == f"--plugins={script.resolve()}" for _, flags in submission.jobs())


def test_without_the_plugin_the_model_name_is_unknown(tmp_path, no_plugins):
    status, _, err = call_main(["train", f"--root={tmp_path}", "--model_name=tiny_mlp", "--print_path"])
    assert status == 2 and "tiny_mlp" in err


def test_a_missing_plugin_is_one_error_line(tmp_path, no_plugins):
    status, _, err = call_main([f"--plugins={tmp_path / 'nope.py'}", "train", "--print_path"])
    assert status == 2 and err.strip().count("\n") == 0 and "no such file" in err


def test_a_registered_score_prunes_a_lottery(tmp_path, no_plugins, monkeypatch):
    import torch

    import sparselab
    from sparselab.sparsity.mask import Mask
    from sparselab.sparsity.scores import SCORE_MODULES

    monkeypatch.setattr("sparselab.sparsity.scores.SCORE_MODULES", SCORE_MODULES)
    monkeypatch.delitem(SCORE_MODULES, "last_first", raising=False)

    def last_first(model, mask, context):  # later flat index = higher score
        return {name: torch.arange(m.numel(), dtype=torch.float32).reshape(m.shape) for name, m in mask.items()}

    sparselab.register_score("last_first", last_first, description="later weights first")
    try:
        flags = [f"--root={tmp_path}", "--levels=1", "--training_steps=2it", "--pruning_strategy=last_first",
                 "--pruning_fraction=0.5", "--pruning_distribution=layerwise"]
        status, out, err = call_main(["lottery", *flags, "--quiet"])
        assert status == 0, err
        (level,) = tmp_path.glob("lottery_*/replicate_1/level_1/main")
        mask = Mask.load(level)
        for name in mask.keys():
            flat = mask[name].flatten()
            kept = int(flat.sum())
            assert torch.equal(flat[flat.numel() - kept:], torch.ones(kept, dtype=flat.dtype)), name
    finally:
        SCORE_MODULES.pop("last_first", None)


def test_register_model_refuses_a_built_in_name(no_plugins):
    import sparselab

    with pytest.raises(sparselab.UsageError, match="already a model name"):
        sparselab.register_model("lenet_300_100", lambda shape, classes: None)
