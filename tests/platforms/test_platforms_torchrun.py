"""`--platform=distributed` under torchrun: 2 processes with Gloo on the CPU, against the local platform."""
from __future__ import annotations

import shutil

import pytest
import torch

from helpers import run_main
from platforms_helpers import FAST, check_job_files, metrics, only, torchrun

DISTRIBUTED = ["--platform=distributed"]


def test_train_on_two_processes_matches_one(tmp_path):
    local_root, dist_root = tmp_path / "local", tmp_path / "dist"
    run_main("train", f"--root={local_root}", *FAST)
    _, logs = torchrun(["train", f"--root={dist_root}", *FAST, *DISTRIBUTED], tmp_path / "logs")
    local_dir, dist_dir = only(local_root, "train_*/replicate_1/main"), only(dist_root, "train_*/replicate_1/main")

    # Rank 0 wrote a complete job once and printed everything; rank 1 printed nothing at all.
    done = check_job_files(dist_dir)
    assert logs[0]["stdout"].count("result: final test accuracy") == 1
    assert logs[1]["stdout"] == "" and logs[1]["stderr"] == ""
    assert not (dist_dir / "checkpoint.pt").exists()

    # Same global batches, averaged gradients: the same run up to float rounding.
    local_done = check_job_files(local_dir)
    assert abs(done["final_test_accuracy"] - local_done["final_test_accuracy"]) <= 0.02
    local_rows, dist_rows = metrics(local_dir), metrics(dist_dir)
    assert [r["iteration"] for r in dist_rows] == [r["iteration"] for r in local_rows]
    for a, b in zip(local_rows[1:], dist_rows[1:]):
        assert abs(float(a["train_loss"]) - float(b["train_loss"])) < 0.01

    # Running it again: one "already done" (rank 0's), files untouched.
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in dist_dir.iterdir() if p.is_file()}
    _, again = torchrun(["train", f"--root={dist_root}", *FAST, *DISTRIBUTED], tmp_path / "logs2")
    assert again[0]["stdout"].count("already done") == 1 and again[1]["stdout"] == ""
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in dist_dir.iterdir() if p.is_file()} == before


@pytest.mark.slow  # multi-process or many jobs: the default run stays under 10 minutes on 2 cores
def test_lottery_on_two_processes_uses_one_mask(tmp_path):
    flags = [*FAST, "--levels=1"]
    dist_root = tmp_path / "dist"
    _, logs = torchrun(["lottery", f"--root={dist_root}", *flags, *DISTRIBUTED], tmp_path / "logs",
                       extra_env={"SPARSELAB_CHECK_BROADCAST": "1"})
    experiment = only(dist_root, "lottery_*/replicate_1")
    for level in (0, 1):
        done = check_job_files(experiment / f"level_{level}" / "main")
        assert done["final_test_accuracy"] > 0.8
    assert logs[0]["stdout"].count("[level 1/1] ep   2.00/2") == 1 and logs[1]["stdout"] == ""
    # Rank 1 computed each level's mask itself and found it equal to the one rank 0 broadcast.
    checks = [line for line in logs[1]["stderr"].splitlines() if "broadcast check: Mask" in line]
    assert len(checks) == 2 and all("matches rank 0's" in line for line in checks), logs[1]["stderr"]

    # The saved level-1 mask is what the local platform computes from the same level-0 weights.
    local_root = tmp_path / "local"
    local_experiment = local_root / experiment.relative_to(dist_root)  # same flags, same hash
    shutil.copytree(experiment / "level_0", local_experiment / "level_0")
    run_main("lottery", f"--root={local_root}", *flags, "--quiet")
    dist_mask = torch.load(experiment / "level_1" / "main" / "mask.pt", weights_only=True)
    local_mask = torch.load(local_experiment / "level_1" / "main" / "mask.pt", weights_only=True)
    assert dist_mask.keys() == local_mask.keys()
    assert all(torch.equal(dist_mask[k], local_mask[k]) for k in dist_mask)


@pytest.mark.slow
def test_world_size_one_behaves_like_local(tmp_path):
    _, logs = torchrun(["train", f"--root={tmp_path}", *FAST, *DISTRIBUTED], tmp_path / "logs", nproc=1)
    assert logs[0]["stdout"].count("result:") == 1
    check_job_files(only(tmp_path, "train_*/replicate_1/main"))
