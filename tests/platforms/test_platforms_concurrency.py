"""Safe concurrency end to end: many processes on one experiment, and a lock holder killed with SIGKILL."""
from __future__ import annotations

import pytest

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import ROOT, env, run_main, start_main
from platforms_helpers import FAST, check_job_files, metrics, only

LEVEL_LINE = re.compile(r"^\[level (\d+)/\d+\] ep\s+([\d.]+)/", re.MULTILINE)


def branch_available() -> bool:
    proc = run_main("lottery_branch", "--help", check=False)
    return proc.returncode == 0 and "randomly_reinitialize" in proc.stdout


@pytest.mark.slow  # multi-process or many jobs: the default run stays under 10 minutes on 2 cores
def test_four_trunks_and_a_branch_train_every_level_once(tmp_path):
    trunk = ["lottery", f"--root={tmp_path}", *FAST, "--levels=3"]
    procs = [start_main(*trunk) for _ in range(4)]
    with_branch = branch_available()
    if with_branch:
        procs.append(start_main("lottery_branch", "randomly_reinitialize", f"--root={tmp_path}", *FAST,
                                "--levels=3", "--create_parents"))
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, f"{p.args}\n{out[-2000:]}\n{err[-2000:]}"

    trainers = {level: 0 for level in range(4)}
    final_epochs = {level: 0 for level in range(4)}
    for out, _ in outputs:
        seen = {int(level) for level, _ in LEVEL_LINE.findall(out)}
        for level in seen:
            trainers[level] += 1
        for level, epoch in LEVEL_LINE.findall(out):
            final_epochs[int(level)] += float(epoch) == 2.0
    assert trainers == {0: 1, 1: 1, 2: 1, 3: 1}, trainers
    assert final_epochs == {0: 1, 1: 1, 2: 1, 3: 1}, final_epochs

    experiment = only(tmp_path, "lottery_*/replicate_1")
    jobs = sorted(p.parent for p in experiment.rglob("done.json"))
    assert len(jobs) == 4 + with_branch
    for directory in jobs:
        check_job_files(directory)
        assert not (directory / "checkpoint.pt").exists()


def _start_logged(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "w") as f:
        return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], stdout=f,
                                stderr=subprocess.STDOUT, env=env(), cwd=ROOT)


def _wait_for(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_killed_lock_holder_is_taken_over(tmp_path):
    """Two processes start the same long job; SIGKILL the one that trains (and holds the lock): the
    one waiting on the lock takes over at once, resumes from the last checkpoint and finishes."""
    args = ["train", f"--root={tmp_path / 'runs'}", "--training_steps=100ep", "--batch_size=8", "--lr=0.01",
            "--threads=1", "--checkpoint_seconds=0"]  # a checkpoint at every epoch end
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [_start_logged(args, log) for log in logs]
    try:
        _wait_for(lambda: any("waiting for another process" in log.read_text() for log in logs),
                  "one process to wait on the other's lock")
        waiter_index = next(i for i, log in enumerate(logs) if "waiting for another process" in log.read_text())
        holder, waiter = procs[1 - waiter_index], procs[waiter_index]
        _wait_for(lambda: list((tmp_path / "runs").glob("train_*/replicate_1/main/checkpoint.pt")),
                  "the first checkpoint")
        assert holder.poll() is None, "the first process finished before it could be killed; make it longer"
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        assert waiter.wait(timeout=300) == 0, logs[waiter_index].read_text()
    finally:
        for p in procs:
            p.kill()
            p.wait()
    log = logs[waiter_index].read_text()
    assert re.search(r"resuming from .*checkpoint\.pt at iteration [1-9]", log), log
    directory = only(tmp_path / "runs", "train_*/replicate_1/main")
    done = check_job_files(directory)
    iterations = [int(row["iteration"]) for row in metrics(directory)]
    assert iterations == sorted(set(iterations)) and len(iterations) == 101 and iterations[-1] == done["iterations"]
    assert done["final_test_accuracy"] > 0.9
