"""`--platform=slurm` end to end with submitit's local executor (background processes on this machine)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import run_main
from platforms_helpers import FAST, check_job_files, only

pytest.importorskip("submitit")

LOCAL_SLURM = ["--platform=slurm", "--slurm_executor=local", "--slurm_time=10"]


def submitted(stdout: str) -> dict[int, str]:
    """replicate -> output directory, from the lines printed at submission."""
    return {int(r): d for r, d in re.findall(r"replicate (\d+): job \S+  log \S+\n  output (\S+)\n", stdout)}


def test_two_replicates_are_submitted_and_finish(tmp_path):
    proc = run_main("train", f"--root={tmp_path}", *FAST, "--quiet", *LOCAL_SLURM, "--slurm_gpus=0",
                    "--replicates=1-2", "--slurm_wait")
    jobs = submitted(proc.stdout)
    assert sorted(jobs) == [1, 2] and proc.stdout.count("finished") == 2
    for replicate, directory in jobs.items():
        assert directory.endswith(f"replicate_{replicate}/main")
        done = check_job_files(Path(directory))
        assert done["final_test_accuracy"] > 0.8
    assert (tmp_path / "slurm_logs").is_dir()
    # The replicates are independent runs with their own seeds.
    finals = {json.loads((Path(d) / "done.json").read_text())["final_test_loss"] for d in jobs.values()}
    assert len(finals) == 2


def test_print_path_and_bad_flags_submit_nothing(tmp_path):
    proc = run_main("train", f"--root={tmp_path}", *FAST, *LOCAL_SLURM, "--replicates=3,5", "--print_path")
    paths = proc.stdout.split()
    assert len(paths) == 2 and paths[0].endswith("replicate_3/main") and paths[1].endswith("replicate_5/main")
    bad = run_main("train", f"--root={tmp_path}", "--lr=-1", *LOCAL_SLURM, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--lr must be positive" in bad.stderr
    assert not (tmp_path / "slurm_logs").exists()


@pytest.mark.slow
def test_two_gpus_per_node_run_torchrun_inside_the_job(tmp_path):
    # Without GPUs the two processes of the job train with Gloo on the CPU.
    proc = run_main("lottery", f"--root={tmp_path}", *FAST, "--levels=1", "--quiet", *LOCAL_SLURM,
                    "--slurm_gpus=2", "--slurm_wait")
    assert proc.stdout.count("finished") == 1
    experiment = only(tmp_path, "lottery_*/replicate_1")
    for level in (0, 1):
        check_job_files(experiment / f"level_{level}" / "main")
    log = next((tmp_path / "slurm_logs").glob("*_0_log.out")).read_text()
    assert "torch.distributed.run --nproc_per_node=2 --standalone" in log and "--platform=distributed" in log
