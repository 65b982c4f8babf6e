"""Plots: files are written, axes follow the lottery-ticket convention, lines carry the right numbers."""
from __future__ import annotations

import builtins
import statistics

import pytest

import reports_fakes as fakes
from sparselab.core.errors import UsageError
from sparselab.analysis.reports import plot
from sparselab.analysis.reports.collect import collect
from sparselab.analysis.reports.labels import assign_labels

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def mpl():
    return pytest.importorskip("matplotlib")


def _experiments(tmp_path):
    a = collect(fakes.lottery(tmp_path, {1: [0.9, 0.92, 0.91, 0.85], 2: [0.92, 0.93, 0.9, 0.8]},
                              name="lottery_aaaaaaaaaaaaaaaa"))
    fakes.branch(a.directory / "replicate_1" / "level_2", "randomly_reinitialize", "abcd1234",
                 fakes.level_done(2, 0.7, 0.72))
    a = collect(a.directory)
    b = collect(fakes.lottery(tmp_path, {1: [0.9, 0.88, 0.8]}, name="lottery_bbbbbbbbbbbbbbbb",
                              hparams=fakes.record(pruning_strategy="random")))
    assign_labels([a, b])
    return [a, b]


def test_accuracy_plot_is_written(mpl, tmp_path):
    experiments = _experiments(tmp_path)
    out = tmp_path / "acc.png"
    plot.plot_accuracy(experiments, out)
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000


def test_accuracy_axes_and_lines(mpl, tmp_path):
    experiments = _experiments(tmp_path)
    fig = plot.accuracy_figure(experiments)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    left, right = ax.get_xlim()
    assert left > right  # percent remaining decreases from left to right
    assert ax.get_xlabel() == "percent of pruned-tensor weights remaining"
    lines = {line.get_label(): line for line in ax.get_lines()}
    main = lines["strategy=magnitude"]
    assert list(main.get_xdata()) == pytest.approx([100, 80, 64, 51.2])
    assert main.get_ydata()[1] == pytest.approx(100 * statistics.mean([0.92, 0.93]))
    branch = lines["strategy=magnitude: randomly_reinitialize"]
    assert list(branch.get_xdata()) == pytest.approx([64]) and branch.get_ydata()[0] == pytest.approx(70)
    dense = lines["strategy=magnitude (dense)"]
    assert dense.get_linestyle() == "--" and dense.get_ydata()[0] == pytest.approx(91)
    assert "strategy=random" in lines
    assert [t.get_text() for t in ax.get_xticklabels()] == ["100", "90", "80", "70", "60", "50"]  # inside a decade
    assert ax.collections  # the ± std band of the two-replicate experiment


def test_curves_plot(mpl, tmp_path):
    experiments = _experiments(tmp_path)
    fig = plot.curves_figure(experiments)
    assert len(fig.axes) == 2
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels[0] == "level 0 (100% left)" and labels[3] == "level 3 (51.2% left)"
    out = tmp_path / "curves.png"
    plot.plot_curves(experiments, out)
    assert out.read_bytes().startswith(PNG_MAGIC)


def test_nothing_to_plot_is_a_usage_error(mpl, tmp_path):
    exp_dir = tmp_path / fakes.LOTTERY
    fakes.job(exp_dir / "replicate_1" / "level_0" / "main", fakes.record(), None, [])
    with pytest.raises(UsageError, match="nothing to plot"):
        plot.accuracy_figure([collect(exp_dir)])


def test_bad_metric_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="--metric 'loss': choose from final_test_accuracy"):
        plot.accuracy_figure([], metric="loss")


def test_missing_matplotlib_is_a_usage_error(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(UsageError, match=r"--plot needs matplotlib: pip install matplotlib"):
        plot.plot_accuracy(_experiments(tmp_path), tmp_path / "x.png")


def test_unwritable_image_type_fails_before_any_work(mpl, tmp_path, capsys):
    from sparselab.analysis.reports.command import ReportCommand

    exp_dir = fakes.lottery(tmp_path, {1: [0.9]})
    with pytest.raises(UsageError, match=r"--plot .*x\.xyz: cannot write \.xyz files; use one of .*\.png"):
        ReportCommand.main(["--path", str(exp_dir), "--plot", str(tmp_path / "x.xyz")])
    assert capsys.readouterr().out == ""


def test_pdf_figures_embed_truetype_not_type3_fonts(mpl, tmp_path):
    """Several venues reject Type 3 fonts (matplotlib's PDF default): figures embed TrueType (Type 42)."""
    import re

    experiments = _experiments(tmp_path)
    for name, draw in (("acc.pdf", plot.plot_accuracy), ("curves.pdf", plot.plot_curves)):
        draw(experiments, tmp_path / name)
        subtypes = set(re.findall(rb"/Subtype\s*/(\w+)", (tmp_path / name).read_bytes()))
        assert b"Type3" not in subtypes and subtypes & {b"TrueType", b"CIDFontType2"}, (name, subtypes)
    assert mpl.rcParams["pdf.fonttype"] == 3  # the process-wide setting is left as it was


def test_one_experiment_legend_names_a_non_default_pruning_strategy(tmp_path):
    random = collect(fakes.lottery(tmp_path, {1: [0.9]}, name="lottery_cccccccccccccccc",
                                   hparams=fakes.record(pruning_strategy="random")))
    assign_labels([random])
    assert random.label == "lottery (random pruning)"
    magnitude = collect(fakes.lottery(tmp_path, {1: [0.9]}, name="lottery_dddddddddddddddd"))
    assign_labels([magnitude])
    assert magnitude.label == "lottery"
