"""Text tables, CSV and JSON: the numbers equal what the jobs wrote."""
from __future__ import annotations

import json
import shutil
import statistics

import pytest

import reports_fakes as fakes
from sparselab.analysis.reports import rows as report_rows, table
from sparselab.analysis.reports.collect import collect
from sparselab.analysis.reports.labels import assign_labels


def _line(text: str, start: str) -> str:
    """The first table line whose first cell is `start`."""
    for line in text.splitlines():
        if line.split() and line.split()[0] == start:
            return line
    raise AssertionError(f"no line starting with {start!r} in\n{text}")


def test_replicate_table_shows_done_json_numbers(tmp_path):
    exp = collect(fakes.lottery(tmp_path, {1: [0.9512, 0.9634, 0.9401]}))
    text = table.replicate_table(exp)
    assert "final test %" in text and "best test % (@it)" in text
    cells = _line(text, "1").split()
    assert cells == ["1", "0.8", "20.00", "96.34", "97.34", "(@30)"]
    cells = _line(text, "2").split()
    assert cells[:5] == ["2", "0.64", "36.00", "94.01", "95.01"]
    assert "status" not in text  # nothing unfinished


def test_noise_columns_appear_under_label_noise(tmp_path):
    exp = collect(fakes.lottery(tmp_path, {1: [0.9, 0.8]}, final_train_accuracy=0.85,
                                final_train_clean_accuracy=0.95, final_train_noisy_accuracy=0.4))
    text = table.replicate_table(exp)
    assert "train %" in text and "clean train %" in text and "noisy train %" in text
    assert _line(text, "0").split()[-3:] == ["85.00", "95.00", "40.00"]


def test_partial_runs_mark_in_progress_and_name_missing_levels(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.9, 0.85, 0.8, 0.7], 2: [0.91]})
    shutil.rmtree(exp_dir / "replicate_1" / "level_2")
    rows = fakes.curve(0.77, iterations=40)[:3]  # last logged iteration 20, accuracy 0.43
    fakes.job(exp_dir / "replicate_2" / "level_1" / "main", fakes.record(), None, rows)
    exp = collect(exp_dir)
    text = table.report_text([exp])
    assert "replicate 1: missing level(s) 2;" in text
    assert "replicate 2: missing level(s) 2, 3;" in text
    assert "--replicate=2 --levels=3" in text
    assert "replicate 2: level 1 in progress (last logged iteration 20)" in text
    rep2 = text.split("replicate 2\n")[1]
    line = _line(rep2, "1")
    assert "(in progress @ it 20)" in line
    assert f"{100 * rows[-1]['test_accuracy']:.2f}" in line
    assert "(missing)" in _line(rep2, "3")


def test_mean_table_appears_with_several_replicates(tmp_path):
    finals = {1: [0.90, 0.80], 2: [0.92, 0.84], 3: [0.97, 0.83]}
    exp = collect(fakes.lottery(tmp_path, finals))
    text = table.report_text([exp])
    assert "mean ± std over replicates" in text
    means = text.split("mean ± std over replicates")[1]
    values = [finals[r][1] for r in finals]
    expected = f"{100 * statistics.mean(values):.2f} ± {100 * statistics.stdev(values):.2f}"
    line = _line(means, "1")
    assert expected in line and line.split()[-1] == "3"
    single = table.report_text([collect(fakes.lottery(tmp_path / "one", {1: [0.9]}))])
    assert "mean ± std" not in single


def test_branch_column_groups(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.9, 0.8]})
    fakes.branch(exp_dir / "replicate_1" / "level_1", "randomly_reinitialize", "abcd1234",
                 fakes.level_done(1, 0.7123, 0.75))
    text = table.replicate_table(collect(exp_dir))
    header = text.splitlines()[1]
    assert "main" in header and "randomly_reinitialize" in header
    line = _line(text, "1")
    assert "80.00" in line and "71.23" in line and "75.00 (@30)" in line
    assert line.count("|") == 1
    assert "71.23" not in _line(text, "0")


def test_train_run_table_has_a_row_per_replicate(tmp_path):
    exp = collect(fakes.train_run(tmp_path, {1: 0.9, 2: 0.95}))
    text = table.report_text([exp])
    assert _line(text, "1").split()[:2] == ["1", "90.00"]
    assert _line(text, "2").split()[:2] == ["2", "95.00"]
    assert "train %" in text and "99.00" in _line(text, "1")
    assert _line(text, "all").split()[1:4] == ["92.50", "±", "3.54"]


def test_csv_round_trip(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.9512, 0.9634], 2: [0.9, 0.95]})
    exp = collect(exp_dir)
    rows = report_rows.rows([exp])
    path = tmp_path / "out.csv"
    report_rows.write_csv(path, rows)
    back = report_rows.read_csv(path)
    assert back == rows
    rep_rows = [r for r in back if r["replicate"] == 1]
    for row in rep_rows:
        done = json.loads((exp_dir / "replicate_1" / f"level_{row['level']}" / "main" / "done.json").read_text())
        assert row["final_test_accuracy"] == done["final_test_accuracy"]
        assert row["best_test_accuracy"] == done["best_test_accuracy"]
        assert row["density"] == done["density"]
        assert row["status"] == "done" and row["series"] == "main"
    assert all(isinstance(r["replicate"], int) and isinstance(r["level"], int) for r in back)
    report_rows.write_csv(tmp_path / "summary.csv", report_rows.summary_rows([exp]), report_rows.SUMMARY_COLUMNS)
    mean = [r for r in report_rows.read_csv(tmp_path / "summary.csv") if r["level"] == 1][0]
    assert mean["n"] == 2
    assert mean["final_test_accuracy"] == pytest.approx((0.9634 + 0.95) / 2)
    assert mean["final_test_accuracy_std"] == pytest.approx(statistics.stdev([0.9634, 0.95]))


def test_json_holds_the_same_rows_and_the_hparams(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.9, 0.8, 0.7]})
    shutil.rmtree(exp_dir / "replicate_1" / "level_1")
    exp = collect(exp_dir)
    rows = report_rows.rows([exp])
    report_rows.write_csv(tmp_path / "a.csv", rows)
    report_rows.write_json(tmp_path / "a.json", [exp], rows)
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["rows"] == report_rows.read_csv(tmp_path / "a.csv")
    assert data["experiments"][0]["hparams"]["command"] == "lottery"
    assert data["experiments"][0]["missing_levels"] == {"1": [1]}
    assert [r["status"] for r in data["rows"]] == ["done", "missing", "done"]


def test_labels_tell_experiments_apart(tmp_path):
    a = collect(fakes.lottery(tmp_path, {1: [0.9]}, name="lottery_aaaaaaaaaaaaaaaa"))
    b = collect(fakes.lottery(tmp_path, {1: [0.9]}, name="lottery_bbbbbbbbbbbbbbbb",
                              hparams=fakes.record(pruning_strategy="random")))
    assign_labels([a, b])
    assert a.label == "lottery pruning_strategy=magnitude"
    assert b.label == "lottery pruning_strategy=random"
    assign_labels([a, b], ["x", "y"])
    assert (a.label, b.label) == ("x", "y")
