"""sparselab.run / load_job / report: results returned, errors raised (never SystemExit), models usable."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import sparselab
from helpers import ROOT, env

FAST = dict(training_steps="2it", device="cpu", threads=1, quiet=True)


@pytest.fixture(scope="module")
def lottery(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    return sparselab.run("lottery", levels=1, root=root, **FAST), root


def test_run_returns_every_level_done_json(lottery):
    result, root = lottery
    assert result.command == "lottery" and result.path.parent.parent == root
    assert sorted(result.levels) == [0, 1] and result.done == result.levels[1]
    assert result.levels[1]["density"] == pytest.approx(0.8)
    assert result.level_paths[1] == result.path / "level_1" / "main"
    assert "integrity" not in result.done  # the record of the files is not a result


def test_loaded_model_reproduces_the_recorded_accuracy(lottery):
    result, _ = lottery
    job = sparselab.load_job(result.path)  # a replicate folder: its last level
    assert job.path == result.level_paths[1]
    correct = total = 0
    with torch.no_grad():
        for x, y in job.test_loader():
            correct += int((job.model(x).argmax(1) == y).sum())
            total += len(y)
    assert total == 359
    assert round(job.result["final_test_accuracy"] * total) == correct  # same predictions, example for example
    for name, kept in job.mask.items():
        weight = dict(job.model.named_parameters())[name]
        assert torch.all(weight[~kept] == 0) and not torch.any(torch.signbit(weight[~kept]))
    assert job.mask.density == pytest.approx(0.8)
    assert job.metrics and job.metrics[-1]["iteration"] == 2
    assert job.hparams["provenance"]["input_shape"] == [1, 8, 8] and job.data["num_classes"] == 10


def test_load_job_picks_a_level_and_refuses_damage(lottery):
    result, _ = lottery
    dense = sparselab.load_job(result.path, level=0)
    assert dense.mask.density == 1.0 and not dense.model.training
    with pytest.raises(sparselab.UsageError, match="no level 7"):
        sparselab.load_job(result.path, level=7)
    weights = result.level_paths[0] / "weights_final.pt"
    original = weights.read_bytes()
    try:
        weights.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        with pytest.raises(sparselab.UsageError, match="weights_final.pt"):
            sparselab.load_job(result.path, level=0)
    finally:
        weights.write_bytes(original)


def test_report_rows_are_plain_dicts(lottery):
    result, root = lottery
    rows = sparselab.report(result.path)
    assert [r["level"] for r in rows] == [0, 1]
    assert rows[1]["final_test_accuracy"] == result.levels[1]["final_test_accuracy"]
    assert rows == sparselab.report("lottery", levels=1, root=root, training_steps="2it")


def test_bad_input_raises_usage_error_without_exiting(tmp_path, capsys):
    with pytest.raises(sparselab.UsageError, match="--lr must be positive"):
        sparselab.run("train", lr=-1, root=tmp_path)
    with pytest.raises(sparselab.UsageError, match="unrecognized arguments: --no_such_flag"):
        sparselab.run("train", no_such_flag=1, root=tmp_path)
    with pytest.raises(sparselab.UsageError, match="unknown command"):
        sparselab.run("trian")
    with pytest.raises(sparselab.UsageError, match="not a finished job|no such job"):
        sparselab.load_job(tmp_path / "nothing")
    assert list(tmp_path.iterdir()) == []
    assert capsys.readouterr().err == ""  # the exception is the signal, not a usage banner


def test_train_result_and_flag_spelling(tmp_path):
    result = sparselab.run("train", root=tmp_path, eval_train=True, **FAST)
    assert result.path.name == "main" and result.done["final_test_accuracy"] == result.final_test_accuracy
    assert result.levels == {}
    assert sparselab.api.to_argv({"levels": [0, 3], "eval_train": True, "loggers": "tensorboard", "lr": None}) == \
        ["--levels=0,3", "--eval_train", "--loggers=tensorboard"]


def test_import_sparselab_does_not_import_torch():
    code = "import sys, sparselab; assert 'torch' not in sys.modules, 'torch imported'; print(sparselab.__version__)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_a_branch_result_names_each_branch_level(lottery):
    result, root = lottery
    branch = sparselab.run("lottery_branch", "randomly_reinitialize", levels="1", root=root, **FAST)
    assert branch.path == result.path and sorted(branch.levels) == [1]
    assert branch.level_paths[1].parent == result.path / "level_1"
    assert branch.level_paths[1].name.startswith("branch_randomly_reinitialize_")
    loaded = sparselab.load_job(branch.level_paths[1])
    assert round(loaded.result["final_test_accuracy"] * 359) == round(branch.final_test_accuracy * 359)
    assert loaded.mask.equals(sparselab.load_job(result.path).mask)  # the trunk level's mask, new weights


def test_replicates_return_one_result_holding_them_as_the_readme_says(tmp_path):
    result = sparselab.run("train", root=tmp_path, replicates="1-2", **FAST)
    assert isinstance(result, sparselab.Result) and len(result) == 2
    assert [job.path.parent.name for job in result] == ["replicate_1", "replicate_2"]
    assert sorted(result.replicates) == [1, 2] and result.path == result.jobs[0].path.parent.parent
    accuracies = [job.final_test_accuracy for job in result]
    mean, std, n = result.mean("final_test_accuracy")
    assert n == 2 and mean == pytest.approx(sum(accuracies) / 2) and std is not None
    rows = sparselab.report(result)
    assert sorted(r["replicate"] for r in rows if r["series"] == "main") == [1, 2]
    readme = (ROOT / "README.md").read_text()
    assert "With `replicates=` or `sweep=` the one `Result` holds the jobs" in readme


def test_a_sweep_result_knows_each_jobs_grid_point(tmp_path):
    result = sparselab.run("train", root=tmp_path, sweep={"lr": [0.05, 0.1]}, **FAST)
    assert [(job.point, job.replicate) for job in result] == [({"lr": "0.05"}, 1), ({"lr": "0.1"}, 1)]
    assert result.path == tmp_path and list(result.by_point()) == [(("lr", "0.05"),), (("lr", "0.1"),)]
    with pytest.raises(sparselab.UsageError, match="holds a sweep"):
        result.replicates
    rows = sparselab.report(result)
    assert sorted(r["lr"] for r in rows) == ["0.05", "0.1"]
