"""Reading experiment directories back: values, partial runs, branches, replicate statistics."""
from __future__ import annotations

import json
import math
import statistics

import pytest

import reports_fakes as fakes
from sparselab.core.errors import UsageError
from sparselab.analysis.reports.collect import collect, mean_std, summarize
from sparselab.store.tree import experiment_of as resolve
from sparselab.analysis.reports.records import DONE, IN_PROGRESS, MAIN, MISSING


def test_done_levels_carry_done_json_values(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.95, 0.96, 0.94]})
    exp = collect(exp_dir)
    assert exp.command == "lottery" and exp.kind == "trunk" and exp.name == fakes.LOTTERY
    assert exp.level_numbers() == [0, 1, 2]
    for level, final in enumerate([0.95, 0.96, 0.94]):
        job = exp.replicates[0].levels[level].main
        on_disk = json.loads((exp_dir / "replicate_1" / f"level_{level}" / "main" / "done.json").read_text())
        assert job.status == DONE
        assert job.get("final_test_accuracy") == final == on_disk["final_test_accuracy"]
        assert job.get("best_test_accuracy") == on_disk["best_test_accuracy"]
        assert job.get("best_iteration") == 30
        assert job.get("density") == pytest.approx(0.8 ** level)
    assert exp.hparams["command"] == "lottery"


def test_in_progress_level_uses_last_metrics_row(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.95]})
    rows = fakes.curve(0.9, iterations=20, density=0.8)[:-1]  # last logged: iteration 10
    fakes.job(exp_dir / "replicate_1" / "level_1" / "main", fakes.record(), None, rows)
    job = collect(exp_dir).replicates[0].levels[1].main
    assert job.status == IN_PROGRESS
    assert job.last_iteration == 10
    assert job.get("final_test_accuracy") == rows[-1]["test_accuracy"]
    assert job.get("best_test_accuracy") == max(r["test_accuracy"] for r in rows)
    assert job.get("density") == 0.8


def test_missing_levels_are_filled_in_per_replicate(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.9, 0.9, 0.9, 0.9], 2: [0.9, 0.9]})
    # replicate 1 lacks level 2 (a gap), replicate 2 stops at level 1
    import shutil
    shutil.rmtree(exp_dir / "replicate_1" / "level_2")
    exp = collect(exp_dir)
    rep1, rep2 = exp.replicates
    assert exp.missing_levels(rep1) == [2]
    assert exp.missing_levels(rep2) == [2, 3]
    assert rep2.levels[3].main.status == MISSING


def test_one_replicate_path_reads_only_that_replicate(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.9], 2: [0.8]})
    exp = collect(exp_dir / "replicate_2")
    assert [r.replicate for r in exp.replicates] == [2]
    assert exp.directory == exp_dir
    # a path inside a replicate stands for it
    assert [r.replicate for r in collect(exp_dir / "replicate_1" / "level_0" / "main").replicates] == [1]


def test_mean_and_std_across_replicates(tmp_path):
    finals = {1: [0.90, 0.80], 2: [0.92, 0.84], 3: [0.97, 0.83]}
    exp = collect(fakes.lottery(tmp_path, finals))
    for level in (0, 1):
        values = [finals[r][level] for r in finals]
        stats = summarize(exp, level)
        assert stats["final_test_accuracy"].n == 3
        assert stats["final_test_accuracy"].mean == pytest.approx(statistics.mean(values))
        assert stats["final_test_accuracy"].std == pytest.approx(statistics.stdev(values))
        assert stats["best_test_accuracy"].mean == pytest.approx(statistics.mean(values) + 0.01)


def test_mean_std_edge_cases():
    assert mean_std([]).mean is None and mean_std([]).n == 0
    one = mean_std([0.5])
    assert one.mean == 0.5 and one.std is None and one.n == 1
    two = mean_std([1.0, 3.0])
    assert two.mean == 2.0 and math.isclose(two.std, math.sqrt(2))


def test_unfinished_replicates_are_left_out_of_the_mean(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.9, 0.7], 2: [0.8]})
    fakes.job(exp_dir / "replicate_2" / "level_1" / "main", fakes.record(), None, fakes.curve(0.1, 10))
    stats = summarize(collect(exp_dir), 1)
    assert stats["final_test_accuracy"].n == 1 and stats["final_test_accuracy"].mean == 0.7


def test_branches_are_grouped_by_name_and_hash(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.9, 0.8], 2: [0.9, 0.8]})
    for rep in (1, 2):
        level_dir = exp_dir / f"replicate_{rep}" / "level_1"
        fakes.branch(level_dir, "randomly_reinitialize", "aaaa1111", fakes.level_done(1, 0.6 + rep / 100, 0.7))
        fakes.branch(level_dir, "retrain", "bbbb2222", fakes.level_done(1, 0.5, 0.5), {"retrain_t_lr": 0.1})
        fakes.branch(level_dir, "retrain", "cccc3333", fakes.level_done(1, 0.4, 0.4), {"retrain_t_lr": 0.01})
    exp = collect(exp_dir)
    assert list(exp.branches) == ["randomly_reinitialize_aaaa1111", "retrain_bbbb2222", "retrain_cccc3333"]
    labels = [b.label for b in exp.branches.values()]
    assert labels == ["randomly_reinitialize", "retrain (retrain_t_lr=0.1)", "retrain (retrain_t_lr=0.01)"]
    stats = summarize(exp, 1, "randomly_reinitialize_aaaa1111")
    assert stats["final_test_accuracy"].mean == pytest.approx(0.615)
    assert summarize(exp, 0, "retrain_bbbb2222")["final_test_accuracy"].n == 0
    assert exp.replicates[0].levels[0].series("retrain_bbbb2222") is None
    assert exp.replicates[0].levels[1].series(MAIN).get("final_test_accuracy") == 0.8


def test_train_runs_are_one_dense_job_per_replicate(tmp_path):
    exp = collect(fakes.train_run(tmp_path, {1: 0.9, 2: 0.92}))
    assert exp.kind == "train" and exp.command == "train"
    assert exp.level_numbers() == [0]
    assert [r.levels[0].main.get("density") for r in exp.replicates] == [1.0, 1.0]
    assert summarize(exp, 0)["final_test_accuracy"].mean == pytest.approx(0.91)


def test_bad_paths_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such directory"):
        resolve(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="holds no experiment"):
        resolve(tmp_path / "empty")
    fakes.lottery(tmp_path / "root", {1: [0.9]})
    with pytest.raises(UsageError, match="results root holding 1 experiment"):
        resolve(tmp_path / "root")
