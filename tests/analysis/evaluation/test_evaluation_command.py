"""`evaluate` end to end on tiny digits jobs: metrics printed, cached beside the job, report columns."""
from __future__ import annotations

from helpers import call_main

import json
from pathlib import Path

import pytest
import torch

from sparselab.analysis.evaluation import measures
from sparselab.analysis.evaluation.columns import evaluation_columns
from sparselab.core import integrity

TINY = ["--training_steps=2ep", "--quiet"]


call = call_main


@pytest.fixture(scope="module")
def lottery(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    status, _, err = call(["lottery", "--levels=1", *TINY, "--root", str(root)])
    assert status == 0, err
    return root


def test_evaluate_prints_metrics_caches_and_feeds_report(lottery):
    experiment = next(lottery.glob("lottery_*"))
    flags = ["--ood_dataset=pixel_shuffle", "--attack=pgd", "--eps=0.05", "--pgd_steps=3", "--device=cpu"]
    status, out, err = call(["evaluate", str(experiment), *flags])
    assert status == 0, err
    header, *rows = [line for line in out.splitlines() if not line.startswith("wrote")]
    for column in ("accuracy", "nll", "ece", "auroc_msp", "fpr95_energy", "robust_acc_pgd"):
        assert column in header.split()
    assert [r.split()[0] for r in rows] == ["replicate_1/level_0/main", "replicate_1/level_1/main"]
    level0 = experiment / "replicate_1" / "level_0"
    (folder,) = level0.glob("evaluate_*")
    done = json.loads((folder / "done.json").read_text())
    job_done = json.loads((level0 / "main" / "done.json").read_text())
    assert done["accuracy"] == pytest.approx(job_done["final_test_accuracy"], abs=1e-6)
    assert 0 <= done["robust_acc_pgd"] <= done["accuracy"] and 0.5 < done["auroc_msp"] <= 1
    assert integrity.check_job(folder)
    assert (folder / "reliability.png").exists() == ("plot" in done)
    # a rerun reads the cached result back
    status, out, _ = call(["evaluate", str(level0 / "main"), *flags])
    assert status == 0 and "already done" in out
    # other flags, other folder
    status, _, _ = call(["evaluate", str(level0 / "main"), "--attack=fgsm", "--eps=0.05", "--device=cpu"])
    assert status == 0 and len(list(level0.glob("evaluate_*"))) == 2
    columns = evaluation_columns(level0 / "main")  # the last finished evaluation: FGSM, no OOD
    assert "robust_acc_fgsm" in columns and "auroc_msp" not in columns and columns["ece"] >= 0
    # the run's flags instead of its directory: the same evaluations
    status, out, err = call(["evaluate", "lottery", "--levels=1", *TINY, "--root", str(lottery), "--attack=fgsm",
                             "--eps=0.05", "--device=cpu"])
    assert status == 0, err
    assert out.count("already done") == 1 and len(list(level0.glob("evaluate_*"))) == 2
    csv = lottery / "r.csv"
    status, _, err = call(["report", "--path", str(experiment), "--csv", str(csv)])
    assert status == 0, err
    text = csv.read_text().splitlines()
    assert "robust_acc_fgsm" in text[0].split(",") and "robust_acc_pgd" in text[0].split(",")


def test_evaluate_refusals_are_one_line(lottery):
    job = next(lottery.glob("lottery_*/replicate_1/level_0/main"))
    cases = [(["--eps=0.1"], "--eps exists only with --attack"),     # eps without an attack
             (["--attack=fgsm", "--pgd_steps=3"], "--pgd_steps exists only with --attack=pgd (not fgsm)"),
             (["--ood_dataset=breast_cancer"], "same shape"),          # 1x1x30 features vs 1x8x8 images
             (["--ood_dataset=digits"], "job's own dataset"),
             (["--ood_dataset=nope"], "unknown dataset"),
             (["--attack=pgd", "--eps=2"], "--eps must be in")]
    before = sorted(p.name for p in job.parent.iterdir())
    for flags, needle in cases:
        status, _, err = call(["evaluate", str(job), "--device=cpu", *flags])
        assert status == 2 and needle in err and err.count("\n") == 1 and err.startswith("error:"), (flags, err)
    status, _, err = call(["evaluate", str(lottery / "nowhere")])
    assert status == 2 and "no such job directory" in err
    assert sorted(p.name for p in job.parent.iterdir()) == before  # nothing half-written


def test_synthetic_ood_sets_keep_shape_and_content():
    class Data:
        test = type("T", (), {"images": torch.arange(2 * 1 * 2 * 3, dtype=torch.uint8).view(2, 1, 2, 3)})()
    shuffled = measures._synthetic("pixel_shuffle", Data.test)
    assert shuffled.shape == Data.test.images.shape and shuffled.dtype == torch.uint8
    assert [sorted(r) for r in shuffled.flatten(1).tolist()] == [list(range(6)), list(range(6, 12))]
    noise = measures._synthetic("uniform_noise", Data.test)
    assert noise.shape == Data.test.images.shape and noise.dtype == torch.uint8


def test_evaluate_a_trunk_with_branches(tmp_path):
    """A branch records its model and dataset under its trunk's: evaluate reads them there (it refused the
    whole experiment with 'does not describe a model and a dataset')."""
    root = str(tmp_path)
    assert call(["lottery", "--levels=1", *TINY, "--root", root])[0] == 0
    status, _, err = call(["lottery_branch", "oneshot_prune", "--levels=1", *TINY, "--root", root])
    assert status == 0, err
    experiment = next(tmp_path.glob("lottery_*"))
    status, out, err = call(["evaluate", str(experiment), "--attack=fgsm", "--eps=0.05", "--device=cpu"])
    assert status == 0, err
    names = [line.split()[0] for line in out.splitlines()[1:] if not line.startswith("wrote")]
    assert len(names) == 3 and any(n.startswith("level_1/branch_oneshot_prune_") for n in names)
    (branch,) = experiment.glob("replicate_1/level_1/branch_oneshot_prune_*")
    assert 0 < evaluation_columns(branch)["robust_acc_fgsm"] <= 1  # its own evaluation (one per job name)
    jobs = sorted(json.loads((f / "done.json").read_text())["job"] for f in branch.parent.glob("evaluate_*"))
    assert jobs == sorted([branch.name, "main"])


def test_reliability_title_names_the_experiment(tmp_path):
    from sparselab.analysis.evaluation.runner import job_title

    job = tmp_path / "lottery_0123456789abcdef" / "replicate_2" / "level_3" / "main"
    assert job_title(job) == "lottery_0123456789abcdef/replicate_2/level_3/main"
    assert job_title(tmp_path / "train_0123456789abcdef" / "replicate_1" / "main") == \
        "train_0123456789abcdef/replicate_1/main"
