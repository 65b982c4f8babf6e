"""The accuracy-vs-density figure, sized for a paper (`style` single / double: 3.5 / 7.0 in columns).

One line per series with an n-labelled legend and a `--band`; one dashed line per DISTINCT dense run (same
level-0 test-prediction digests share one); the legend sits below the axes, never wider than the plot."""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any

from sparselab.core.errors import UsageError
from sparselab.analysis.reports import density_axis, plot_parts
from sparselab.analysis.reports.collect import done_count
from sparselab.analysis.reports.labels import series_name
from sparselab.analysis.reports.records import DONE, MAIN, ExperimentResult


@dataclass(frozen=True)
class Style:
    width: float  # inches
    height: float
    font: float  # points
    title: bool  # draw the automatic title


STYLES: dict[str | None, Style] = {
    None: Style(8.0, 5.0, 10.0, True),
    "single": Style(3.5, 2.6, 8.0, False),
    "double": Style(7.0, 3.2, 9.0, False),
}


def check_style(style: str | None) -> Style:
    if style not in STYLES:
        raise UsageError(f"--style {style!r}: choose from {', '.join(s for s in STYLES if s)}")
    return STYLES[style]


def series_selection(experiments: list[ExperimentResult], wanted: str | None) -> dict[int, list[str]]:
    """Series keys to draw per experiment (by index): all, or those whose name or label `--series` lists."""
    selected = {i: e.series_keys() for i, e in enumerate(experiments)}
    if not wanted:
        return selected
    names = [w.strip() for w in wanted.split(",") if w.strip()]
    known: set[str] = set()
    for i, e in enumerate(experiments):
        keys = []
        for key in e.series_keys():
            aliases = {MAIN} if key == MAIN else {key, e.branches[key].name, e.branches[key].label}
            known |= aliases
            if aliases & set(names):
                keys.append(key)
        selected[i] = keys
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"--series {unknown[0]!r}: no such series; choose from {', '.join(sorted(known))}")
    return selected


def n_text(experiment: ExperimentResult, key: str) -> str:
    counts = {done_count(experiment, lv, key) for lv in experiment.level_numbers()} - {0}
    if not counts:
        return "n=0"
    low, high = min(counts), max(counts)
    return f"n={low}" if low == high else f"n={low}-{high}"


def dense_runs(experiment: ExperimentResult) -> frozenset[Any] | None:
    """What tells dense runs apart: the level-0 test-prediction digest of each replicate (the folder
    when a digest is missing); None without a finished dense level 0."""
    jobs = [(r, j) for r, j in experiment.jobs(0, MAIN) if j.status == DONE and j.get("density") == 1.0]
    if not jobs:
        return None
    return frozenset((r, j.get("final_test_predictions_sha256") or str(j.directory)) for r, j in jobs)


def dense_references(experiments: list[ExperimentResult], metric: str) -> list[tuple[list[int], float, int]]:
    """(indexes of the experiments sharing it, mean % of `metric`, n) per distinct dense run. An
    experiment whose dense replicates are among another's (same digests) shares that one's line."""
    from sparselab.analysis.reports.collect import summarize

    runs = {i: dense_runs(e) for i, e in enumerate(experiments)}
    order = sorted((i for i in runs if runs[i]), key=lambda i: -len(runs[i]))  # type: ignore[arg-type]
    groups: list[list[int]] = []
    for i in order:
        home = next((g for g in groups if runs[i] <= runs[g[0]]), None)  # type: ignore[operator]
        if home is None:
            groups.append([i])
        else:
            home.append(i)
    out = []
    for members in sorted(groups):
        stat = summarize(experiments[members[0]], 0, MAIN)[metric]
        if stat.mean is not None:
            out.append((sorted(members), 100 * stat.mean, stat.n))
    return out


def add_args(group: Any) -> None:
    """The figure flags of `report`."""
    group.add_argument("--band", choices=list(plot_parts.BANDS), default=plot_parts.DEFAULT_BAND,
                       help=plot_parts.BAND_HELP)
    group.add_argument("--style", choices=[s for s in STYLES if s],
                       help="size --plot for a paper column: single (3.5 in) or double (7 in)")


def accuracy_figure(experiments: list[ExperimentResult], metric: str = "final_test_accuracy",
                    title: str | None = None, style: str | None = None, series: str | None = None,
                    band: str = plot_parts.DEFAULT_BAND) -> Any:
    from matplotlib import rc_context

    from sparselab.analysis.reports import plot

    look = check_style(style)  # the metric and the band: checked by plot.accuracy_figure
    selected = series_selection(experiments, series)
    with rc_context({"font.size": look.font, "axes.titlesize": look.font, "legend.fontsize": look.font * 0.85,
                     "xtick.labelsize": look.font * 0.85, "ytick.labelsize": look.font * 0.85}):
        fig = plot._figure(look.width, look.height)
        ax = fig.add_subplot(1, 1, 1)
        entries, xs, colors = _draw_series(ax, experiments, selected, metric, band)
        if not entries:
            raise UsageError("nothing to plot: no finished level in " +
                             ", ".join(str(e.directory) for e in experiments))
        entries += _draw_dense(ax, experiments, metric, colors)
        plot_parts.draw_axis(ax, xs)
        ax.set_xlabel(density_axis.label(experiments))
        ax.set_ylabel(plot.PLOT_METRICS[metric])
        if title or look.title:
            ax.set_title(title or plot._title(experiments, metric, band))
        ax.grid(True, alpha=0.3)
        fit_legend(fig, ax, entries)
    return fig


def _name(experiments: list[ExperimentResult], index: int, key: str, short: list[str] | None) -> str:
    """The legend name of one series: the sweep point's short name when the figure is a sweep."""
    experiment = experiments[index]
    if short is None:
        return series_name(experiment, key, len(experiments) > 1)
    return short[index] if key == MAIN else f"{short[index]}: {experiment.series_label(key)}"


def _draw_series(ax: Any, experiments: list[ExperimentResult], selected: dict[int, list[str]],
                 metric: str, band: str) -> tuple[list[tuple[Any, str]], list[float], dict[int, str]]:
    from sparselab.analysis.reports.plot import _points

    short = plot_parts.sweep_names(experiments)
    prefix = "" if short else shared_command(experiments)
    entries: list[tuple[Any, str]] = []
    xs: list[float] = []
    first_color: dict[int, str] = {}
    collapsed_any = banded = False
    for index, experiment in enumerate(experiments):
        for key in selected[index]:
            points = _points(experiment, key, metric, band)
            if not points:
                continue
            color = f"C{len(entries) % 10}"
            first_color.setdefault(index, color)
            dense = plot_parts.trained_dense(experiment, key)
            marker = "o" if key == MAIN else "*" if dense else "s^vD<>"[len(entries) % 6]
            x, y = [p[0] for p in points], [p[1] for p in points]
            xs += x
            alive = [i for i, p in enumerate(points) if not p[3]]
            name = _name(experiments, index, key, short)
            (line,) = ax.plot(x, y, "-." if dense else "-", marker=marker, markersize=6 if dense else 3.5,
                              color=color, label=name, markevery=alive)
            note = f", {plot_parts.REDENSE_NOTE}" if dense else ""
            entries.append((line, f"{name.removeprefix(prefix)}{note} ({n_text(experiment, key)})"))
            dead = [p for p in points if p[3]]
            if dead:
                collapsed_any = True
                ax.plot([p[0] for p in dead], [p[1] for p in dead], linestyle="none", marker=marker,
                        markersize=5, color=color, markerfacecolor="white", label="_collapsed")
            if any(p[2] is not None for p in points):  # no band where fewer than two replicates finished
                banded = True
                low = [math.nan if p[2] is None else p[1] - p[2] for p in points]
                high = [math.nan if p[2] is None else p[1] + p[2] for p in points]
                ax.fill_between(x, low, high, color=color, alpha=0.18, linewidth=0)
    if collapsed_any:  # one legend entry explains every hollow marker
        (hollow,) = ax.plot([], [], linestyle="none", marker="o", color="0.4", markerfacecolor="white", label="_hollow")
        entries.append((hollow, "hollow marker: collapsed network"))
    if banded:  # which band, once: n is in every series' entry
        from matplotlib.patches import Patch

        entries.append((Patch(facecolor="0.5", alpha=0.3, linewidth=0), plot_parts.legend_text(band)))
    return entries, xs, first_color


def _draw_dense(ax: Any, experiments: list[ExperimentResult], metric: str,
                colors: dict[int, str]) -> list[tuple[Any, str]]:
    references = dense_references(experiments, metric)
    short = plot_parts.sweep_names(experiments)
    prefix = "" if short else shared_command(experiments)
    entries = []
    for members, value, n in references:
        shared = len(references) == 1
        color = "0.35" if shared else colors.get(members[0], "0.35")
        label = short[members[0]] if short else experiments[members[0]].label
        name = "dense" if shared else f"{label} (dense)"
        line = ax.axhline(value, color=color, linestyle="--", linewidth=1.0, label=name)
        entries.append((line, f"{name.removeprefix(prefix)} (n={n})"))
    return entries


def fit_legend(fig: Any, ax: Any, entries: list[tuple[Any, str]]) -> Any:
    """A legend below the axes and no wider than them: of the column counts (3, 2, 1) and wrap widths
    that fit, the one with the shortest legend (then the fewest wrapped labels); labels wrap between
    words only."""
    fig.canvas.draw()
    axes_width = ax.get_window_extent().width
    renderer = fig.canvas.get_renderer()
    below = ax.get_tightbbox(renderer).y0  # under the tick labels and the x label
    anchor = ax.transAxes.inverted().transform((0, below - 2))[1]
    best: tuple[tuple[int, int], int, list[str]] | None = None
    for ncol in (3, 2, 1):
        if ncol > len(entries):
            continue
        for chars in (80, 60, 45, 32, 24, 16):
            labels = ["\n".join(textwrap.wrap(text, chars, break_long_words=False)) or text for _, text in entries]
            legend = _legend(ax, entries, labels, ncol, anchor)
            box = legend.get_window_extent(renderer)  # the legend alone: no need to draw the figure
            legend.remove()
            if box.width <= axes_width:
                score = (round(box.height), sum(label.count("\n") for label in labels))  # short, then unwrapped
                if best is None or score < best[0]:
                    best = (score, ncol, labels)
                break  # narrower wrapping of this column count only makes it taller
    if best is None:  # not even one word per line fits: the narrowest single column
        best = ((0, 0), 1, ["\n".join(textwrap.wrap(t, 16, break_long_words=False)) or t for _, t in entries])
    return _legend(ax, entries, best[2], best[1], anchor)


def _legend(ax: Any, entries: list[tuple[Any, str]], labels: list[str], ncol: int, anchor: float) -> Any:
    return ax.legend([h for h, _ in entries], labels, loc="upper center", ncol=ncol, frameon=False,
                     bbox_to_anchor=(0.5, anchor), handlelength=1.6, columnspacing=1.0)


def shared_command(experiments: list[ExperimentResult]) -> str:
    """'lottery ' when every experiment's label starts with the same command: legends leave it out."""
    words = {e.label.split(" ", 1)[0] for e in experiments}
    if len(experiments) > 1 and len(words) == 1 and all(" " in e.label for e in experiments):
        return words.pop() + " "
    return ""
