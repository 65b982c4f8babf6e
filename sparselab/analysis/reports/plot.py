"""Plots: accuracy vs percent of weights remaining (log x, decreasing; drawn by reports.figure), and training
curves per level, drawn whole. matplotlib is imported lazily, figures drawn by Agg without pyplot's global state."""
from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from sparselab.core import io as fio
from sparselab.core.errors import UsageError
from sparselab.analysis.reports.collect import summarize
from sparselab.analysis.evaluation.columns import PLOT_COLUMNS as EVALUATION_PLOT_COLUMNS
from sparselab.analysis.reports.jobs import read_curve
from sparselab.analysis.reports.plot_parts import BANDS, DEFAULT_BAND, check_band, half_width
from sparselab.analysis.reports.records import MAIN, MISSING, ExperimentResult

# --metric of the accuracy plot -> y-axis title
PLOT_METRICS: dict[str, str] = {
    "final_test_accuracy": "final test accuracy (%)",
    "best_test_accuracy": "best test accuracy (%)",
    "final_train_accuracy": "final train accuracy (%)",
    "final_train_clean_accuracy": "final train accuracy, clean examples (%)",
    "final_train_noisy_accuracy": "final train accuracy, noisy examples (%)",
    **EVALUATION_PLOT_COLUMNS,  # `evaluate` results (evaluation.columns)
}

# metrics.csv column of the training curves -> y-axis title
CURVE_METRICS: dict[str, str] = {"test_accuracy": "test accuracy (%)", "train_accuracy": "train accuracy (%)"}


PAPER_FONTS: dict[str, int] = {"pdf.fonttype": 42, "ps.fonttype": 42}


def _matplotlib() -> tuple[Any, Any]:
    try:  # the Agg canvas directly: no pyplot, no change of the process-wide backend
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install matplotlib") from None
    return Figure, FigureCanvasAgg


def check_metric(metric: str, table: dict[str, str], flag: str) -> None:
    if metric not in table:
        raise UsageError(f"{flag} {metric!r}: choose from {', '.join(table)}")


def _figure(width: float, height: float) -> Any:
    """A figure drawn by the Agg canvas, outside pyplot's global state."""
    Figure, canvas_cls = _matplotlib()
    fig = Figure(figsize=(width, height))
    canvas_cls(fig)
    return fig


def check_output(path: Path | str, flag: str) -> None:
    """Fail before any work when matplotlib is missing or cannot write this file type."""
    _, canvas_cls = _matplotlib()
    suffix = Path(path).suffix.lstrip(".").lower() or "png"
    supported = canvas_cls.get_supported_filetypes()
    if suffix not in supported:
        raise UsageError(f"{flag} {path}: cannot write .{suffix} files; use one of "
                         f"{', '.join('.' + s for s in sorted(supported))}")


def _save(fig: Any, path: Path | str) -> None:
    path = Path(path)
    buffer = io.BytesIO()
    fmt = path.suffix.lstrip(".").lower() or "png"
    from matplotlib import rc_context

    try:  # TrueType (Type 42) fonts in PDF/PS: venues reject the Type 3 fonts of matplotlib's default
        with rc_context(PAPER_FONTS):
            fig.savefig(buffer, format=fmt, dpi=150, bbox_inches="tight")
    except ValueError as e:
        raise UsageError(f"cannot write {path}: {e}; use a .png, .pdf or .svg name") from None
    fio.write_bytes(path, buffer.getvalue())


def _points(experiment: ExperimentResult, key: str, metric: str,
            band: str = DEFAULT_BAND) -> list[tuple[float, float, float | None, bool]]:
    """(percent remaining, mean %, half the `band` in % or None, whether a finished replicate collapsed)."""
    points = []
    for level in experiment.level_numbers():
        stats = summarize(experiment, level, key)
        density = stats["trunk_density"].mean if key != MAIN else None
        density = stats["density"].mean if density is None else density
        value = stats[metric].mean
        if density is None or value is None or density <= 0:
            continue
        half = half_width(stats[metric].std, stats[metric].n, band)
        collapsed = any(job.collapsed for _, job in experiment.jobs(level, key))
        points.append((100 * density, 100 * value, None if half is None else 100 * half, collapsed))
    return sorted(points, key=lambda p: -p[0])


def plot_accuracy(experiments: list[ExperimentResult], path: Path | str, metric: str = "final_test_accuracy",
                  title: str | None = None, style: str | None = None, series: str | None = None,
                  band: str = DEFAULT_BAND) -> None:
    _save(accuracy_figure(experiments, metric, title, style, series, band), path)


def accuracy_figure(experiments: list[ExperimentResult], metric: str = "final_test_accuracy",
                    title: str | None = None, style: str | None = None, series: str | None = None,
                    band: str = DEFAULT_BAND) -> Any:
    """Accuracy vs percent of weights remaining (reports.figure); `band`: reports.plot_parts."""
    check_metric(metric, PLOT_METRICS, "--metric")
    check_band(band)
    _matplotlib()
    from sparselab.analysis.reports.figure import accuracy_figure as draw

    return draw(experiments, metric, title, style, series, band)


def _title(experiments: list[ExperimentResult], metric: str, band: str = DEFAULT_BAND) -> str:
    reps = sorted({len(e.replicates) for e in experiments})
    what = PLOT_METRICS[metric].replace(" (%)", "")
    if reps == [1]:
        return f"{what} vs weights remaining (1 replicate)"
    return f"{what} vs weights remaining\n(mean of {'/'.join(map(str, reps))} replicates, band = {BANDS[band]})"


def mean_curve(experiment: ExperimentResult, level: int, column: str) -> tuple[list[int], list[float]]:
    """Mean over replicates of a metrics.csv column at each logged iteration (jobs done or running)."""
    sums: dict[int, list[float]] = {}
    for _, job in experiment.jobs(level, MAIN):
        if job.status == MISSING:
            continue
        for row in read_curve(job.directory):
            it, value = row.get("iteration"), row.get(column)
            if isinstance(it, int) and isinstance(value, (int, float)):
                sums.setdefault(it, []).append(float(value))
    iterations = sorted(sums)
    return iterations, [100 * sum(sums[i]) / len(sums[i]) for i in iterations]


def plot_curves(experiments: list[ExperimentResult], path: Path | str, column: str = "test_accuracy") -> None:
    _save(curves_figure(experiments, column), path)


def curves_figure(experiments: list[ExperimentResult], column: str = "test_accuracy") -> Any:
    """One panel per experiment, one line per level of its main series, coloured from dense to sparse."""
    check_metric(column, CURVE_METRICS, "--curve_metric")
    cols = min(len(experiments), 2)
    rows = math.ceil(len(experiments) / cols)
    fig = _figure(7 * cols, 4.5 * rows)
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    anything = False
    for index, experiment in enumerate(experiments):
        ax = fig.add_subplot(rows, cols, index + 1)
        levels = experiment.level_numbers()
        points: list[tuple[int, float]] = []
        for position, level in enumerate(levels):
            iterations, values = mean_curve(experiment, level, column)
            if not iterations:
                continue
            anything = True
            points += list(zip(iterations, values))
            density = summarize(experiment, level, MAIN)["density"].mean
            if density is None:
                density = _live_density(experiment, level)
            where = f" ({100 * density:.3g}% left)" if density is not None and experiment.kind == "trunk" else ""
            name = f"level {level}{where}" if experiment.kind == "trunk" else "train"
            shade = cmap(0.9 * position / max(1, len(levels) - 1))
            ax.plot(iterations, values, color=shade, linewidth=1.3, label=name)
        ax.set_xlabel("iteration")
        ax.set_ylabel(CURVE_METRICS[column])
        _whole(ax, points)
        ax.set_title(f"{experiment.label}: {experiment.name} (mean of {len(experiment.replicates)} replicate(s))",
                     fontsize="medium")
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend(fontsize="x-small", ncol=2 if len(ax.lines) > 8 else 1, loc="lower right")
    if not anything:
        raise UsageError("nothing to plot: no metrics.csv with " + column + " in " +
                         ", ".join(str(e.directory) for e in experiments))
    fig.tight_layout()
    return fig


def _live_density(experiment: ExperimentResult, level: int) -> float | None:
    for _, job in experiment.jobs(level, MAIN):
        if job.get("density") is not None:
            return float(job.get("density"))
    return None


def _whole(ax: Any, points: list[tuple[int, float]]) -> None:
    """The whole curve: from the first logged iteration (x) and the lowest accuracy (y) on; nothing cut."""
    if not points:
        return
    first, last = min(it for it, _ in points), max(it for it, _ in points)
    low, high = min(v for _, v in points), max(v for _, v in points)
    ax.set_xlim(first, max(last, first + 1))
    margin = max(0.03 * (high - low), 0.2)
    ax.set_ylim(low - margin, high + margin)
