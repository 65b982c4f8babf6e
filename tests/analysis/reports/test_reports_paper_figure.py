"""Figures for a paper: n per series, one dense line per distinct dense run, --series, --style, PDF/SVG,
and a legend never wider than the plot."""
from __future__ import annotations

import pytest

import reports_fakes as fakes
from sparselab.core.errors import UsageError
from sparselab.analysis.reports import plot
from sparselab.analysis.reports.collect import collect
from sparselab.analysis.reports.labels import assign_labels

pytest.importorskip("matplotlib")


def _experiments(tmp_path, same_dense=True, strategies=("magnitude", "random")):
    out = []
    for i, strategy in enumerate(strategies):
        digest = "same" if same_dense else f"dense{i}"
        reps = {1: [0.9, 0.92, 0.91], 2: [0.92, 0.93, 0.9]} if i == 0 else {1: [0.9, 0.88, 0.8]}
        out.append(collect(fakes.lottery(tmp_path, reps, name=f"lottery_{'ab'[i] * 16}",
                                         hparams=fakes.record(pruning_strategy=strategy),
                                         final_test_predictions_sha256=digest)))
    fakes.branch(out[0].directory / "replicate_1" / "level_2", "randomly_reinitialize", "abcd1234",
                 fakes.level_done(2, 0.7, 0.72))
    out[0] = collect(out[0].directory)
    assign_labels(out)
    return out


def _legend(fig):
    return [t.get_text().replace("\n", " ") for t in fig.axes[0].get_legend().get_texts()]


def _dense_lines(fig):
    return [line for line in fig.axes[0].get_lines() if line.get_linestyle() == "--"]


@pytest.mark.parametrize("same_dense, dense_labels", [
    (True, ["dense (n=2)"]),  # both experiments trained the same dense network: one reference
    (False, ["strategy=magnitude (dense) (n=2)", "strategy=random (dense) (n=1)"]),
])
def test_one_dense_line_per_distinct_dense_run(tmp_path, same_dense, dense_labels):
    fig = plot.accuracy_figure(_experiments(tmp_path, same_dense))
    assert len(_dense_lines(fig)) == len(dense_labels)
    assert [t for t in _legend(fig) if "dense" in t] == dense_labels


def test_legend_has_n_per_series(tmp_path):
    legend = _legend(plot.accuracy_figure(_experiments(tmp_path)))  # the shared command is left out
    assert "strategy=magnitude (n=2)" in legend
    assert "strategy=random (n=1)" in legend
    assert "strategy=magnitude: randomly_reinitialize (n=1)" in legend


@pytest.mark.parametrize("series, drawn", [
    ("main", ["strategy=magnitude", "strategy=random"]),
    ("randomly_reinitialize", ["strategy=magnitude: randomly_reinitialize"]),
])
def test_series_filter(tmp_path, series, drawn):
    fig = plot.accuracy_figure(_experiments(tmp_path), series=series)
    solid = [line.get_label() for line in fig.axes[0].get_lines()
             if line.get_linestyle() == "-" and not line.get_label().startswith("_")]
    assert solid == drawn


def test_unknown_series_names_the_choices(tmp_path):
    with pytest.raises(UsageError, match=r"--series 'retrain': no such series; choose from main, randomly_reinit"):
        plot.accuracy_figure(_experiments(tmp_path), series="retrain")


@pytest.mark.parametrize("style, width", [("single", 3.5), ("double", 7.0), (None, 8.0)])
def test_legend_never_wider_than_the_plot(tmp_path, style, width):
    experiments = _experiments(tmp_path, same_dense=False, strategies=("magnitude", "random"))
    experiments[0].label = "a rather long experiment label that would overflow a single paper column " * 2
    fig = plot.accuracy_figure(experiments, style=style)
    assert fig.get_figwidth() == width
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert legend.width <= ax.get_window_extent().width + 1e-6
    assert legend.y1 <= ax.get_tightbbox(fig.canvas.get_renderer(), bbox_extra_artists=[]).y0 + 5 or \
        legend.y1 <= ax.get_window_extent().y0  # below the axes, not over the data
    assert (ax.get_title() != "") == (style is None)  # paper styles leave the title to the caption


@pytest.mark.parametrize("suffix, magic", [(".pdf", b"%PDF"), (".svg", b"<?xml"), (".png", b"\x89PNG")])
def test_vector_and_raster_files(tmp_path, suffix, magic):
    out = tmp_path / f"figure{suffix}"
    plot.plot_accuracy(_experiments(tmp_path), out, style="single")
    assert out.read_bytes().startswith(magic)
