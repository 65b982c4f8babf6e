"""Issue 26, found by the fault campaign (bench/fault_campaign.py): what a reader uses must verify as a whole.

A branch used a trunk level whose hparams.json, metrics.csv or sparsity_report.json failed its digest
(it read only the weights and the mask); an OpenLTH folder named with non-ASCII digits was read as a
replicate or a level (`\\d` matches '١').
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from helpers import run_main
from integrity_helpers import flip_bit, one

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis" / "reports"))
import openlth_fixture  # noqa: E402

FLAGS = ("--levels=1", "--training_steps=2it", "--threads=1")


@pytest.fixture(scope="module")
def trunk(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("trunk")
    run_main("lottery", *FLAGS, f"--root={root}")
    return root


# files of the trunk level that a randomly_prune branch does not read itself
UNREAD_BY_THE_BRANCH = {"hparams.json": flip_bit, "metrics.csv": flip_bit, "sparsity_report.json": flip_bit,
                        "weights_final.pt": flip_bit}


@pytest.mark.parametrize("name", sorted(UNREAD_BY_THE_BRANCH))
def test_a_branch_refuses_a_trunk_level_with_any_damaged_file(trunk, tmp_path, name):
    root = tmp_path / "r"
    shutil.copytree(trunk, root)
    UNREAD_BY_THE_BRANCH[name](one(root, f"lottery_*/replicate_1/level_0/main/{name}"))
    proc = run_main("lottery_branch", "randomly_prune", "--levels=0", *FLAGS[1:], f"--root={root}", check=False)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert f"level_0/main/{name}: its sha256 does not match" in proc.stderr, proc.stderr
    assert not list(root.glob("lottery_*/replicate_1/level_0/branch_*/done.json"))


def test_a_finished_branch_is_refused_when_its_trunk_level_is_damaged(trunk, tmp_path):
    root = tmp_path / "r"
    shutil.copytree(trunk, root)
    branch = ("lottery_branch", "randomly_prune", "--levels=0", *FLAGS[1:], f"--root={root}")
    run_main(*branch)
    flip_bit(one(root, "lottery_*/replicate_1/level_0/main/hparams.json"))
    proc = run_main(*branch, check=False)
    assert proc.returncode == 2 and "level_0/main/hparams.json: its sha256 does not match" in proc.stderr, proc


def test_report_curves_refuse_a_finished_metrics_csv_that_fails_its_digest(trunk, tmp_path):
    """Before: `read_curve` returned [] and the curve was drawn from the other replicates, exit 0."""
    from sparselab.core.integrity import DamagedFile
    from sparselab.analysis.reports.jobs import read_curve

    root = tmp_path / "r"
    shutil.copytree(trunk, root)
    level = one(root, "lottery_*/replicate_1/level_0/main")
    assert read_curve(level)
    flip_bit(level / "metrics.csv")
    with pytest.raises(DamagedFile, match="metrics.csv"):
        read_curve(level)


def test_a_running_jobs_metrics_csv_that_changed_since_it_was_written_is_damaged(tmp_path):
    """The journal vouches for a running job's metrics.csv: the table marks the job DAMAGED (instead of
    showing the edited numbers as its live values) and the curves refuse it."""
    from sparselab.core import io as fio
    from sparselab.core.integrity import DamagedFile
    from sparselab.analysis.reports.jobs import read_curve, read_job
    from sparselab.analysis.reports.records import DAMAGED, IN_PROGRESS

    job = tmp_path / "replicate_1" / "level_0" / "main"
    job.mkdir(parents=True)
    fio.write_json(job / "hparams.json", {"training": {}})
    fio.write_text(job / "metrics.csv", "iteration,test_accuracy\n0,0.5\n")
    running = read_job(job)
    assert running.status == IN_PROGRESS and running.values["final_test_accuracy"] == 0.5
    (job / "metrics.csv").write_text("iteration,test_accuracy\n0,0.9\n")
    edited = read_job(job)
    assert edited.status == DAMAGED and "metrics.csv" in edited.problem and not edited.values
    with pytest.raises(DamagedFile, match="journal"):
        read_curve(job)


def test_openlth_folders_with_non_ascii_digits_are_not_replicates_or_levels(tmp_path):
    from sparselab.analysis.reports.openlth import collect

    experiment = openlth_fixture.write_tree(tmp_path, {1: [0.9, 0.8], 2: [0.7, 0.6]})
    shutil.copytree(experiment / "replicate_1", experiment / "replicate_\u0663")  # Arabic-Indic 3
    shutil.copytree(experiment / "replicate_1" / "level_1", experiment / "replicate_1" / "level_\u0662")
    result = collect(experiment)
    assert [r.replicate for r in result.replicates] == [1, 2]
    assert sorted(result.replicates[0].levels) == [0, 1]
