"""--replicates, --sweep and --workers: expansion, checks before anything runs, the worker pool."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import run_main, start_main
from sparselab import main as sparselab_main
from sparselab.core.errors import UsageError
from sparselab.platforms import grid, slurm, sweep, workers
from sparselab.platforms.base import Platform, PlatformHparams

TINY = ["--training_steps=2it", "--threads=1"]


def test_sweep_and_replicates_expand_into_the_cross_product():
    e = grid.expand("lottery", ["--levels=1", "--sweep", "init_density=0.1,0.05", "--sweep=pruning_strategy=random;"
                                "magnitude", "--replicates=2-3", "--workers=2"])
    jobs = e.jobs()
    assert len(jobs) == 8 and e.workers == 2 and e.given
    assert jobs[0].argv == ("lottery", "--levels=1", "--init_density=0.1", "--pruning_strategy=random",
                            "--replicate=2")
    assert jobs[0].label == "init_density=0.1 pruning_strategy=random replicate 2"
    assert jobs[-1].label == "init_density=0.05 pruning_strategy=magnitude replicate 3"
    assert not grid.expand("train", ["--lr=0.1", "--replicate=2"]).given  # one job: main.py carries on


def test_a_branch_under_workers_is_one_job_per_level():
    e = grid.expand("lottery_branch", ["randomly_prune", "--levels=1-2,5", "--workers=3"], branch=True)
    assert [j.argv[-1] for j in e.jobs()] == ["--levels=1", "--levels=2", "--levels=5"]
    assert e.jobs()[0].argv[1] == "randomly_prune"
    assert grid.expand("lottery_branch", ["randomly_prune", "--levels=1-2"], branch=True).levels is None


@pytest.mark.parametrize("argv, fragment", [
    (["--sweep", "lr"], "write FIELD=V1,V2"),
    (["--sweep", "lr=0.1,"], "empty value"),
    (["--sweep", "lr=0.1,0.1"], "listed twice"),
    (["--sweep", "lr=0.1", "--sweep", "lr=0.2"], "given twice"),
    (["--lr=0.3", "--sweep", "lr=0.1,0.2"], "both as a flag and in --sweep"),
    (["--sweep", "replicate=1,2"], "use --replicates=LIST"),
    (["--sweep", "root=a,b"], "one --root per sweep"),
    (["--replicates=1-2", "--replicate=3"], "not both"),
    (["--replicates=0-1"], "replicates start at 1"),
    (["--workers=0"], "--workers must be in 1..1024"),
    (["--workers_per_gpu=2"], "give --workers too"),
])
def test_bad_expansions_are_usage_errors(argv, fragment):
    with pytest.raises(UsageError, match=re.escape(fragment)):
        grid.expand("train", argv)


def test_threads_are_split_between_workers():
    assert workers.threads_per_worker(3, None, cpus=8) == 2
    assert workers.threads_per_worker(16, None, cpus=8) == 1
    assert workers.threads_per_worker(2, "3", cpus=8) is None  # --threads typed: kept on every job


def test_each_worker_gets_a_gpu_or_shares_one_when_asked():
    assert workers.devices_per_worker(2, None, None, gpus=2) == ["cuda:0", "cuda:1"]
    assert workers.devices_per_worker(4, 2, "auto", gpus=2) == ["cuda:0", "cuda:0", "cuda:1", "cuda:1"]
    assert workers.devices_per_worker(2, 2, "cuda:1", gpus=2) == ["cuda:1", "cuda:1"]
    assert workers.devices_per_worker(3, None, "cpu", gpus=2) == [None] * 3
    assert workers.devices_per_worker(3, None, None, gpus=0) == [None] * 3
    with pytest.raises(UsageError, match="--workers_per_gpu=3"):
        workers.devices_per_worker(3, None, None, gpus=1)


def _print_path(capsys, *argv: str) -> list[str]:
    assert sparselab_main.main(list(argv)) == 0
    return capsys.readouterr().out.split()


def test_each_grid_point_is_the_command_typed_by_hand(tmp_path, capsys):
    base = ["lottery", "--levels=1", f"--root={tmp_path}", *TINY]
    swept = _print_path(capsys, *base, "--sweep", "init_density=0.1,0.05", "--sweep",
                        "init_pruning_strategy=random,snip", "--replicates=1-2", "--print_path")
    by_hand = [_print_path(capsys, *base, f"--init_density={d}", f"--init_pruning_strategy={s}", f"--replicate={r}",
                           "--print_path")[0] for d in ("0.1", "0.05") for s in ("random", "snip") for r in (1, 2)]
    assert swept == by_hand and len(set(swept)) == 8
    assert not any(tmp_path.glob("lottery_*"))


def test_a_bad_grid_value_stops_everything_before_it_runs(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        sparselab_main.main(["train", f"--root={tmp_path}", *TINY, "--sweep", "lr=0.1,-2", "--workers=2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1
    assert err[0] == "error: lr=-2 replicate 1: --lr must be positive, got -2.0"
    assert not any(p for p in tmp_path.rglob("*") if p.is_file())


def test_commands_that_read_results_are_left_alone():
    from sparselab.experiments.ensembles.command import ENSEMBLE_COMMANDS
    from sparselab.analysis.reports.command import REPORT_COMMANDS

    assert set(sweep.READS_RESULTS) == set(REPORT_COMMANDS) | set(ENSEMBLE_COMMANDS)
    assert sweep.maybe_submit("report", ["lottery", "--replicates=1-3"]) is None


def test_a_runner_never_ignores_an_expansion_flag():
    with pytest.raises(UsageError, match="--workers expands a command line into jobs"):
        Platform(PlatformHparams(workers=2))


def test_slurm_submits_the_same_expansion(tmp_path):
    sub = slurm.parse("train", ["--platform=slurm", "--sweep", "lr=0.1,0.2", "--replicates=1-2",
                                f"--root={tmp_path}"])
    jobs = sub.jobs()
    assert [label for label, _ in jobs] == ["lr=0.1 replicate 1", "lr=0.1 replicate 2", "lr=0.2 replicate 1",
                                            "lr=0.2 replicate 2"]
    assert jobs[3][1] == ["train", f"--root={tmp_path.resolve()}", "--lr=0.2", "--replicate=2"]
    with pytest.raises(UsageError, match="drop --workers"):
        slurm.parse("train", ["--platform=slurm", "--replicates=1-2", "--workers=2"])


def test_workers_run_every_job_and_a_failure_names_its_job(tmp_path, monkeypatch):
    """Two grid points in two processes: digits trains, mnist (no files here) fails; the other finishes.
    (--dataset_root does not exist for digits: a sweep over both kinds names the root in $SPARSELAB_DATA.)"""
    empty = tmp_path / "no_data"
    empty.mkdir()
    monkeypatch.setenv("SPARSELAB_DATA", str(empty))
    proc = run_main("train", f"--root={tmp_path / 'r'}", "--training_steps=2it",
                    "--sweep", "dataset_name=digits,mnist", "--workers=2", check=False)
    assert proc.returncode == 1, proc.stderr
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error: 1 of 2 jobs failed: dataset_name=mnist replicate 1: "
                                                     "dataset mnist not found"), proc.stderr
    assert "jobs 1/2 done" in proc.stdout and "jobs 2/2 done" in proc.stdout
    assert "2 worker process(es)" in proc.stdout
    done = list((tmp_path / "r").glob("train_*/replicate_1/main/done.json"))
    assert len(done) == 1 and json.loads(done[0].read_text())["final_test_accuracy"] > 0


def _trainings(logs: list[Path]) -> dict[tuple[str, str], int]:
    """(replicate, level) -> how many times a job log shows that level start training."""
    counts: dict[tuple[str, str], int] = {}
    for log in logs:
        text = log.read_text()
        replicate = re.search(r"\(replicate (\d+),", text).group(1)
        for level in re.findall(r"^\[level (\d+)/\d+\] ep +0\.00/", text, re.M):
            counts[replicate, level] = counts.get((replicate, level), 0) + 1
    return counts


@pytest.mark.slow
def test_overlapping_sweeps_train_every_level_once_and_report_n_3(tmp_path):
    root = tmp_path / "r"
    base = ["lottery", "--levels=1", f"--root={root}", "--training_steps=2it"]
    first, second = start_main(*base, "--replicates=1-2", "--workers=2"), start_main(*base, "--replicates=2-3",
                                                                                     "--workers=2")
    for proc in (first, second):
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
    assert len(list(root.glob("lottery_*/replicate_*/level_*/main/done.json"))) == 6
    counts = _trainings(list(root.glob("sweep_logs/*/job_*.log")))
    assert counts == {(r, lv): 1 for r in ("1", "2", "3") for lv in ("0", "1")}
    report = run_main("report", *base).stdout
    assert "mean ± std" in report and re.search(r"^ +1 .* 3$", report, re.M), report
