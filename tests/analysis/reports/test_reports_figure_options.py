"""Figure options for a paper: --band std|sem|ci95, decade ticks, re-dense branches marked as dense,
sweep legends naming only what differs, curves drawn whole."""
from __future__ import annotations

import math
import statistics

import pytest

import reports_fakes as fakes
from helpers import call_main
from sparselab.analysis.reports import plot, plot_parts
from sparselab.analysis.reports.collect import collect
from sparselab.analysis.reports.labels import assign_labels

pytest.importorskip("matplotlib")

FINALS = {1: [0.90, 0.92, 0.91], 2: [0.92, 0.95, 0.90], 3: [0.91, 0.93, 0.89]}


def _three_replicates(tmp_path):
    experiment = collect(fakes.lottery(tmp_path, FINALS))
    assign_labels([experiment])
    return experiment


def _band_top(fig) -> float:
    """The highest edge of the shaded band."""
    (poly,) = fig.axes[0].collections
    return float(max(path.vertices[:, 1].max() for path in poly.get_paths()))


@pytest.mark.parametrize("band, factor", [("std", 1.0), ("sem", 1 / math.sqrt(3)),
                                          ("ci95", 4.3027 / math.sqrt(3))])
def test_band_is_std_sem_or_student_t_ci(tmp_path, band, factor):
    experiment = _three_replicates(tmp_path)
    fig = plot.accuracy_figure([experiment], band=band)
    levels = [[reps[level] for reps in FINALS.values()] for level in range(3)]
    halves = [factor * 100 * statistics.stdev(values) for values in levels]
    points = plot._points(experiment, "main", "final_test_accuracy", band)
    assert [p[2] for p in points] == pytest.approx(halves, rel=1e-3)
    tops = [100 * statistics.mean(values) + half for values, half in zip(levels, halves)]
    assert _band_top(fig) == pytest.approx(max(tops), rel=1e-4)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert plot_parts.legend_text(band) in legend and any("(n=3)" in t for t in legend)


def test_student_t_quantiles():
    assert plot_parts.t975(1) == pytest.approx(12.706, abs=1e-3)
    assert plot_parts.t975(4) == pytest.approx(2.776, abs=1e-3)
    assert plot_parts.t975(60) == pytest.approx(2.000, abs=1e-3)  # Cornish-Fisher beyond the table
    assert plot_parts.half_width(0.5, 1, "ci95") is None  # one replicate: no band


def test_band_flag_reaches_the_figure_and_bad_band_is_one_error(tmp_path, monkeypatch):
    _three_replicates(tmp_path)
    out = tmp_path / "f.png"
    status, _, err = call_main(["report", "--path", str(tmp_path / fakes.LOTTERY), "--plot", str(out),
                                "--band", "ci95"])
    assert status == 0, err
    assert out.read_bytes().startswith(b"\x89PNG")
    status, _, err = call_main(["report", "--path", str(tmp_path / fakes.LOTTERY), "--band", "iqr"])
    assert status == 2 and err.count("error:") == 1


@pytest.mark.parametrize("lo, hi, labels", [
    (0.124, 100, ["100", "10", "1", "0.1"]),  # the headline's 30 levels: decades only
    (10.7, 100, ["100", "50", "20", "10"]),
    (26.2, 100, ["100", "90", "80", "70", "60", "50", "40", "30"]),  # 100, 50 alone would be too few
    (51.2, 100, ["100", "90", "80", "70", "60", "50"]),
])
def test_density_labels_sit_at_round_numbers(lo, hi, labels):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot(1, 1, 1)
    plot_parts.draw_axis(ax, [hi, lo])
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    minor = ax.xaxis.get_minorticklocs()
    assert len(minor) > 0 and not set(minor) & {float(x) for x in labels}


def test_redense_branch_is_marked_as_trained_dense(tmp_path):
    experiment = fakes.lottery(tmp_path, {1: [0.9, 0.92, 0.91]})
    fakes.branch(experiment / "replicate_1" / "level_1", "retrain", "abcd1234", fakes.level_done(0, 0.95, 0.95))
    fakes.branch(experiment / "replicate_1" / "level_2", "randomly_reinitialize", "beef0000",
                 fakes.level_done(2, 0.7, 0.7))
    result = collect(experiment)
    assign_labels([result])
    fig = plot.accuracy_figure([result])
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert lines["retrain"].get_marker() == "*" and lines["randomly_reinitialize"].get_marker() != "*"
    legend = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("retrain") and plot_parts.REDENSE_NOTE in t for t in legend)
    assert not any(t.startswith("randomly_reinitialize") and "re-dense" in t for t in legend)


def _sweep(tmp_path):
    experiments = []
    for i, (lr, wd) in enumerate([("0.1", "5e-4"), ("0.1", "1e-4"), ("0.05", "5e-4")]):
        record = fakes.record(lr=float(lr), weight_decay=float(wd), momentum=0.9)
        e = collect(fakes.lottery(tmp_path, {1: [0.9, 0.9 - 0.01 * i]}, name=f"lottery_{'abc'[i] * 16}",
                                  hparams=record))
        e.swept = {"lr": lr, "weight_decay": wd, "momentum": "0.9"}
        experiments.append(e)
    assign_labels(experiments)
    return experiments


def test_sweep_legend_names_only_the_fields_that_differ_shortly(tmp_path):
    fig = plot.accuracy_figure(_sweep(tmp_path))
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[:3] == ["lr=0.1, wd=5e-4 (n=1)", "lr=0.1, wd=1e-4 (n=1)", "lr=0.05, wd=5e-4 (n=1)"]
    assert [t for t in legend if "dense" in t][0] == "lr=0.1, wd=5e-4 (dense) (n=1)"  # each its own dense run


def test_curves_show_the_whole_curve_from_the_first_iteration(tmp_path):
    experiment = fakes.lottery(tmp_path, {1: [0.9, 0.92]})
    level_0 = experiment / "replicate_1" / "level_0" / "main"
    fakes.write_metrics(level_0, fakes.curve(0.9, iterations=400, every=10, start=0.05))  # long flat end, low start
    fakes.seal_done(level_0, fakes.level_done(0, 0.9, 0.91))  # sealed over the new metrics.csv, as a job would
    result = collect(experiment)
    assign_labels([result])
    ax = plot.curves_figure([result]).axes[0]
    low, high = ax.get_ylim()
    assert low <= 5.0 and high >= 92.0  # the 5 % of iteration 0 and the best end are both inside
    assert ax.get_xlim()[0] == 0


def test_compare_legend_names_the_differing_fields_shortly_unless_labels_are_given(tmp_path):
    experiments = []
    for i, (strategy, wd) in enumerate([("magnitude", 5e-4), ("random", 1e-4)]):
        record = fakes.record(pruning_strategy=strategy, weight_decay=wd)
        experiments.append(collect(fakes.lottery(tmp_path, {1: [0.9, 0.8]}, name=f"lottery_{'ab'[i] * 16}",
                                                 hparams=record)))
    assign_labels(experiments)
    legend = [t.get_text() for t in plot.accuracy_figure(experiments).axes[0].get_legend().get_texts()]
    assert legend[:2] == ["strategy=magnitude, wd=5e-4 (n=1)", "strategy=random, wd=1e-4 (n=1)"]
    assign_labels(experiments, ["IMP", "random"])  # the user's names stay as given
    legend = [t.get_text() for t in plot.accuracy_figure(experiments).axes[0].get_legend().get_texts()]
    assert legend[:2] == ["IMP (n=1)", "random (n=1)"]
