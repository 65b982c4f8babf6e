"""Report: branches sit at their trunk level's density; collapsed networks are marked everywhere."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import reports_fakes as fakes
from sparselab.analysis.reports import plot
from sparselab.analysis.reports import rows as report_rows
from sparselab.analysis.reports import table
from sparselab.analysis.reports.collect import collect

ROOT = Path(__file__).resolve().parents[2]


def _with_redense_branch(tmp_path):
    experiment = fakes.lottery(tmp_path, {1: [0.9, 0.92, 0.91]})
    level_1 = experiment / "replicate_1" / "level_1"
    fakes.branch(level_1, "retrain", "abcd1234", fakes.level_done(0, 0.95, 0.95))  # level_done(0): density 1.0
    return collect(experiment)


def test_branch_rows_carry_the_trunk_density(tmp_path):
    rows = report_rows.rows([_with_redense_branch(tmp_path)])
    branch = [r for r in rows if r["series"] == "retrain"]
    assert [(r["level"], r["density"], r["trunk_density"]) for r in branch] == [(1, 1.0, pytest.approx(0.8))]
    main = {r["level"]: r["trunk_density"] for r in rows if r["series"] == "main"}
    assert main == {0: 1.0, 1: pytest.approx(0.8), 2: pytest.approx(0.64)}


def test_plot_puts_a_redense_branch_at_its_trunk_density(tmp_path):
    pytest.importorskip("matplotlib")
    fig = plot.accuracy_figure([_with_redense_branch(tmp_path)])
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    branch = lines["retrain"]
    assert list(branch.get_xdata()) == pytest.approx([80]) and list(branch.get_ydata()) == pytest.approx([95])


def _collapsing(tmp_path):
    """Levels 0-1 healthy; level 2 lost every path (new keys); level 3 an old done.json whose mask
    report has an empty tensor; level 4 an old done.json with nothing to say."""
    healthy = dict(empty_prunable_tensors=[], connected=True, final_test_top_prediction_fraction=0.11)
    experiment = fakes.lottery(tmp_path, {1: [0.9, 0.92]}, **healthy)
    rep = experiment / "replicate_1"
    hp = fakes.record()
    fakes.job(rep / "level_2" / "main", hp, fakes.level_done(2, 0.234, 0.245, connected=False,
                                                              empty_prunable_tensors=[],
                                                              final_test_top_prediction_fraction=1.0))
    fakes.job(rep / "level_3" / "main", hp, fakes.level_done(3, 0.1, 0.1))
    (rep / "level_3" / "main" / "sparsity_report.json").write_text(json.dumps(
        {"tensors": {"fc.weight": {"kept": 0, "total": 10, "density": 0.0},
                     "fc2.weight": {"kept": 4, "total": 10, "density": 0.4}}}))
    fakes.job(rep / "level_4" / "main", hp, fakes.level_done(4, 0.5, 0.5))
    return collect(experiment)


def test_collapsed_column_and_terminal_marker(tmp_path):
    experiment = _collapsing(tmp_path)
    rows = {r["level"]: r for r in report_rows.rows([experiment])}
    assert [rows[lv]["collapsed"] for lv in range(5)] == [False, False, True, True, False]
    assert rows[2]["collapse_reason"] == "no input-output path; constant prediction"
    assert rows[3]["collapse_reason"] == "empty tensor fc.weight"
    assert rows[2]["final_test_top_prediction_fraction"] == 1.0
    path = tmp_path / "r.csv"
    report_rows.write_csv(path, list(rows.values()))
    back = report_rows.read_csv(path)
    assert [r["collapsed"] for r in back] == [False, False, True, True, False]
    text = table.replicate_table(experiment).splitlines()
    marked = [line.split()[0] for line in text if "COLLAPSED" in line]
    assert marked == ["2", "3"]


def test_mean_rows_and_table_mark_a_level_collapsed_in_any_replicate(tmp_path):
    base = dict(empty_prunable_tensors=[], final_test_top_prediction_fraction=0.1)
    experiment = fakes.lottery(tmp_path, {1: [0.9, 0.8], 2: [0.9, 0.8]}, connected=True, **base)
    done = fakes.level_done(1, 0.1, 0.1, connected=False, **base)
    fakes.job(experiment / "replicate_2" / "level_1" / "main", fakes.record(), done)
    experiment = collect(experiment)
    mean = {r["level"]: r for r in report_rows.summary_rows([experiment])}
    assert mean[0]["collapsed"] is False and mean[1]["collapsed"] is True
    assert "(COLLAPSED: main 1/2)" in table.mean_table(experiment).splitlines()[-1]


def test_plot_draws_collapsed_levels_hollow(tmp_path):
    pytest.importorskip("matplotlib")
    fig = plot.accuracy_figure([_collapsing(tmp_path)])
    lines = fig.axes[0].get_lines()
    main = next(line for line in lines if line.get_label() == "lottery")
    assert list(main.get_markevery()) == [0, 1, 4]  # filled markers only where the network lives
    hollow = [line for line in lines if line.get_label() == "_collapsed"]
    assert len(hollow) == 1 and hollow[0].get_markerfacecolor() == "white"
    assert list(hollow[0].get_xdata()) == pytest.approx([64, 51.2])
    legend = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_legend().get_texts()]
    assert "hollow marker: collapsed network" in legend


@pytest.mark.slow
def test_redense_branch_reported_at_trunk_density_end_to_end(tmp_path):
    pytest.importorskip("matplotlib")
    root = str(tmp_path / "runs")

    def main(*args: str) -> str:
        done = subprocess.run([sys.executable, "main.py", *args, "--root", root], cwd=ROOT, capture_output=True,
                              text=True, timeout=900)
        assert done.returncode == 0, done.stderr
        return done.stdout

    trunk = ["--levels=1", "--training_steps=1ep"]
    main("lottery", *trunk, "--quiet")
    main("lottery_branch", "retrain", *trunk, "--retrain_t_regain_pruned_weights_steps=1ep",
         "--retrain_t_training_steps=2ep", "--quiet")
    csv_path, png = tmp_path / "r.csv", tmp_path / "r.png"
    main("report", "lottery", *trunk, "--csv", str(csv_path), "--plot", str(png))
    rows = report_rows.read_csv(csv_path)
    branch = [r for r in rows if r["series"] == "retrain"]
    assert len(branch) == 1 and branch[0]["level"] == 1 and branch[0]["density"] == 1.0
    assert branch[0]["trunk_density"] == pytest.approx(0.8, abs=1e-3)
    assert branch[0]["collapsed"] is False
    assert png.read_bytes().startswith(b"\x89PNG")
