"""While a sweep runs: live per-job lines (job i/N, grid values, level, ETA), then a mean ± std table
per grid point; `report <command> --sweep` reports the same sweep with a CSV column per swept field."""
from __future__ import annotations

import csv
import re

import pytest

from helpers import run_main
from sparselab.platforms.workers import JobProgress, SweepProgress, clock, seconds

# Lines as a lottery job writes them to its log (experiments/lottery/progress.py prefix, train/progress.py lines)
LOG = """output: runs/lottery_ae6ccd68ae4e03d7/replicate_1
[level 0/2] it 0/92  test_acc   8.64%
[level 0/2] it 46/92  loss 2.5003  test_acc  39.00%     53723 img/s  ETA 0:00:20 (run 0:01:10)
[level 1/2] it 0/92  test_acc  17.55%
[level 1/2] it 46/92  loss 2.2394  test_acc  44.01%      9943 img/s  ETA 0:00:15 (run 0:00:40)
"""


def test_a_jobs_log_gives_its_level_step_and_etas(tmp_path):
    log = tmp_path / "job_1.log"
    log.write_text(LOG[: LOG.index("[level 1/2]")])
    job = JobProgress(log)
    job.read()
    assert (job.level, job.step, job.eta, job.job_eta, job.new_level) == ("0/2", "it 46/92", "0:00:20", "0:01:10", True)
    job.new_level = False
    with open(log, "a") as f:
        f.write(LOG[LOG.index("[level 1/2]"):] + "[level 1/2] it 9")  # a line still being written
    job.read()
    assert (job.level, job.step, job.eta, job.job_eta, job.new_level) == ("1/2", "it 46/92", "0:00:15", "0:00:40", True)
    assert job.partial == "[level 1/2] it 9" and job.remaining() == 40
    assert seconds("1:02:03") == 3723 and clock(3723.4) == "1:02:03"


def test_live_lines_on_a_new_level_and_at_most_every_interval(tmp_path, capsys):
    log = tmp_path / "job_2.log"
    log.write_text("")
    live = SweepProgress(total=4, workers=2, interval=3600)
    live.started(1, "lr=0.1 replicate 2", log)
    log.write_text(LOG[: LOG.index("[level 1/2]")])
    live.poll(pending=2)
    live.poll(pending=2)  # nothing new: no line
    with open(log, "a") as f:
        f.write("[level 0/2] it 92/92  loss 2.1  test_acc 40.00%  9000 img/s  ETA 0:00:00 (run 0:00:50)\n")
    live.poll(pending=2)  # news, but within the interval of the same level: no line
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "job 2/4 started: lr=0.1 replicate 2"
    assert len(lines) == 2 and re.fullmatch(r"job 2/4 \[lr=0\.1 replicate 2\]  level 0/2  it 46/92  "
                                            r"ETA 0:00:20, job 0:01:10; sweep \d:\d\d:\d\d", lines[1]), lines
    live.interval = 0
    live.poll(pending=2)
    assert "it 92/92" in capsys.readouterr().out


def test_the_sweep_eta_counts_running_and_pending_jobs():
    live = SweepProgress(total=4, workers=2)
    live.durations = [100.0]  # one job took 100 s
    live.jobs = {}
    assert live.sweep_eta(pending=2) == pytest.approx(100.0)  # two pending jobs of 100 s on two workers


def _sweep(tmp_path, *extra: str) -> list[str]:
    return ["lottery", "--levels=1", "--training_steps=2it", "--threads=1", f"--root={tmp_path / 'runs'}",
            "--sweep", "pruning_fraction=0.2,0.5", "--sweep", "lr=0.05,0.1", *extra]


@pytest.mark.slow
def test_a_2x2_sweep_with_2_replicates_and_2_workers_prints_live_lines_and_a_table(tmp_path):
    out = run_main(*_sweep(tmp_path, "--replicates=1-2", "--workers=2")).stdout
    for i in range(1, 9):
        assert f"job {i}/8 started: " in out
    live = [l for l in out.splitlines() if l.startswith("job ") and "[" in l]
    assert any(re.match(r"job \d/8 \[pruning_fraction=0\.\d lr=0\.\d+ replicate \d\]  level 1/1  it 2/2  ETA "
                        r"\d:\d\d:\d\d", l) for l in live), out
    assert "test_acc" not in out  # the jobs' own training lines stay in their logs
    table = out[out.index("sweep: mean ± std"):].splitlines()
    assert table[1].split() == ["pruning_fraction", "lr", "level", "density", "final", "test", "%", "best", "test",
                                "%", "n"]
    rows = [l.split() for l in table[2:] if l.strip()]
    assert len(rows) == 8 and all(r[-1] == "2" and "±" in r for r in rows)
    assert [(r[0], r[1], r[2]) for r in rows[:2]] == [("0.2", "0.05", "0"), ("0.2", "0.05", "1")]
    report = run_main("report", *_sweep(tmp_path), "--sweep", "batch_size=64,32", "--csv",
                      str(tmp_path / "s.csv"))
    assert report.stderr.count("has not run yet") == 4  # the batch_size=32 points
    assert "sweep: mean ± std" in report.stdout
    written = list(csv.DictReader(open(tmp_path / "s.csv")))
    assert {(r["pruning_fraction"], r["lr"], r["batch_size"]) for r in written} == \
        {(f, lr, "64") for f in ("0.2", "0.5") for lr in ("0.05", "0.1")}


def test_replicates_without_workers_print_live_lines_and_a_mean_std_table(tmp_path):
    out = run_main("train", "--training_steps=2it", "--threads=1", f"--root={tmp_path / 'runs'}",
                   "--replicates=1-2").stdout
    assert "sweep: 2 jobs in 1 worker process(es)" in out and "job 2/2 started: replicate 2" in out
    table = out[out.index("sweep: mean ± std"):].splitlines()
    assert table[1].split() == ["final", "test", "%", "best", "test", "%", "n"]
    assert "±" in table[2] and table[2].split()[-1] == "2"


def test_a_summary_that_cannot_be_made_is_a_note_not_a_failure(tmp_path, capsys):
    from sparselab import main

    main.runners()
    main._sweep_summary("train", ["--training_steps=2it", f"--root={tmp_path}", "--sweep", "lr=0.05,0.1"])
    out = capsys.readouterr().out
    assert out.startswith("sweep: no summary table (no results for this train sweep") and "report train" in out
