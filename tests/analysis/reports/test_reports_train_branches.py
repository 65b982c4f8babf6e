"""A finished `train` run with `train_branch` children: `list` and `report` see one done train job and
its branch (not '0/3 ... preset ?' and a `--levels` hint); a branch's --dry_run needs no dataset."""
from __future__ import annotations

import pytest

from sparselab.main import main

FLAGS = ["--training_steps=2it", "--quiet"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("train_branches")
    assert main(["train", f"--root={root}", *FLAGS]) == 0
    assert main(["train_branch", "retrain", f"--root={root}", *FLAGS, "--retrain_t_lr=0.01"]) == 0
    return root


def test_list_counts_the_train_job_and_its_branch(root, capsys):
    capsys.readouterr()
    assert main(["list", f"--root={root}"]) == 0
    line = capsys.readouterr().out.splitlines()[-1].split()
    assert line[1:6] == ["train", "1", "1/1", "0", "1"]
    assert "preset digits: training_steps=2it" in " ".join(line) and "?" not in line


def test_report_shows_the_branch_and_no_levels_hint(root, capsys):
    (experiment,) = root.glob("train_*")
    capsys.readouterr()
    assert main(["report", "--path", str(experiment)]) == 0
    out = capsys.readouterr().out
    assert "--levels" not in out and "missing" not in out
    header = next(line for line in out.splitlines() if line.startswith("replicate"))
    assert header.count("final test %") == 2  # main and retrain side by side


def test_branch_dry_run_needs_no_dataset(tmp_path, capsys):
    argv = ["lottery_branch", "retrain", f"--root={tmp_path}", "--dataset_name=mnist",
            f"--dataset_root={tmp_path / 'no_data'}", "--levels=0-1"]
    for flag in ("--dry_run", "--print_path"):
        assert main([*argv, flag]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [line.split(":")[0] for line in lines] == ["level 0", "level 1"]
        assert all("[missing; trunk level missing]" in line for line in lines)
    assert not (tmp_path / "no_data").exists()
