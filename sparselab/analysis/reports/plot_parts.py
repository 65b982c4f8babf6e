"""Parts of the accuracy figure: the density axis, the shaded bands and short legend names.

Axis: log scale, labels at decades (2, 5 too under two decades, every multiple inside half a decade: the coarsest
with three labels), minor ticks at 2..9, never at the data's levels. Band: ± 1 std, ± 1 SEM or a 95 % CI (Student t,
n - 1 degrees of freedom: 1.96 is 6.5x too narrow at n = 2; Cornish-Fisher beyond 30, exact to four decimals).
Legend: a sweep's (or `--compare`'s automatic) lines named by the fields that differ (`lr=0.1, wd=5e-4`).
"""
from __future__ import annotations

import math
from typing import Any

from sparselab.core.errors import UsageError
from sparselab.analysis.reports.records import MAIN, ExperimentResult

# span in decades below which more multiples of each decade are labelled
_MULTIPLES: tuple[tuple[float, tuple[int, ...]], ...] = ((2.0, (1,)), (0.5, (1, 2, 5)), (0.0, tuple(range(1, 10))))


def _candidates(lo: float, hi: float, multiples: tuple[int, ...]) -> list[float]:
    out = []
    for exponent in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in multiples:
            value = m * 10.0 ** exponent
            if lo * (1 - 1e-9) <= value <= hi * (1 + 1e-9):
                out.append(float(f"{value:.6g}"))
    return sorted(set(out), reverse=True)


def density_ticks(lo: float, hi: float) -> tuple[list[float], list[float]]:
    """(labelled ticks, minor ticks) between the lowest and highest density in percent."""
    span = math.log10(hi / lo) if hi > lo else 0.0
    major: list[float] = []
    for threshold, multiples in _MULTIPLES:
        major = _candidates(lo, hi, multiples)
        if span >= threshold and len(major) >= 3:
            break
    if len(major) < 2:  # one point (or a sliver of a decade): label the data's ends
        major = sorted({float(f"{hi:.3g}"), float(f"{lo:.3g}")}, reverse=True)
    minor = [v for v in _candidates(lo / 10, hi * 10, (1, 2, 3, 4, 5, 6, 7, 8, 9)) if v not in major]
    return major, minor


def tick_label(value: float) -> str:
    """100, 10, 1, 0.1, 0.05: no trailing zeros, no exponent."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def draw_axis(ax: Any, xs: list[float]) -> None:
    """Log-scaled percent of weights remaining, decreasing from left to right."""
    from matplotlib.ticker import FixedLocator, NullFormatter

    ax.set_xscale("log")
    lo, hi = min(xs), max(xs)
    pad = (hi / lo) ** 0.04 if hi > lo else 1.25
    ax.set_xlim(hi * pad, lo / pad)
    major, minor = density_ticks(lo / pad, hi * pad)
    ax.xaxis.set_major_locator(FixedLocator(major))
    ax.xaxis.set_minor_locator(FixedLocator(minor))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(major, [tick_label(t) for t in major])
    ax.set_xlabel("percent of weights remaining")


BANDS: dict[str, str] = {"std": "± 1 std", "sem": "± 1 SEM", "ci95": "95% CI (Student t)"}
DEFAULT_BAND = "std"
BAND_HELP = ("the shaded band of --plot: std = ± 1 sample standard deviation (default), sem = ± 1 standard error "
        "of the mean, ci95 = 95%% confidence interval of the mean (Student t, n - 1 degrees of freedom); "
        "the legend says which, and n per series")

# t quantile 0.975 for 1..30 degrees of freedom
_T975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
         2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
         2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423)
_Z975 = 1.959964


def check_band(band: str) -> str:
    if band not in BANDS:
        raise UsageError(f"--band {band!r}: choose from {', '.join(BANDS)}")
    return band


def t975(df: int) -> float:
    """Two-sided 95 % quantile of Student's t with `df` degrees of freedom."""
    if df < 1:
        raise ValueError("Student t needs at least one degree of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)


def half_width(std: float | None, n: int, band: str) -> float | None:
    """Half the band's height around the mean; None where fewer than two replicates finished."""
    if std is None or n < 2:
        return None
    if band == "std":
        return std
    sem = std / math.sqrt(n)
    return sem if band == "sem" else t975(n - 1) * sem


def legend_text(band: str) -> str:
    return f"shaded: {BANDS[band]} over replicates"


SHORT_NAMES: dict[str, str] = {
    "weight_decay": "wd", "momentum": "mom", "batch_size": "bs", "training_steps": "steps", "warmup_steps": "warmup",
    "rewinding_steps": "rewind", "label_smoothing": "ls", "pruning_strategy": "strategy", "pruning_fraction": "prune",
    "pruning_distribution": "distribution", "random_labels_fraction": "noise", "optimizer_name": "opt",
    "model_name": "model", "dataset_name": "data"}
REDENSE_NOTE = "re-dense (trained dense, at its start level's density)"


def short_value(value: Any) -> str:
    """0.0005 -> 5e-4, 0.1 -> 0.1, strings as given."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if value != 0 and abs(value) < 1e-2:
        mantissa, exponent = f"{value:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:g}"


def short_fields(fields: dict[str, Any]) -> str:
    return ", ".join(f"{SHORT_NAMES.get(k, k)}={short_value(v)}" for k, v in fields.items())


def sweep_names(experiments: list[ExperimentResult]) -> list[str] | None:
    """One short name per experiment of a sweep (every experiment a grid point), or of experiments
    put side by side under their automatic labels (`--compare`); None otherwise (e.g. --labels)."""
    if len(experiments) < 2:
        return None
    if not all(e.swept for e in experiments):
        return _compare_names(experiments)
    fields = [k for k in experiments[0].swept if len({e.swept.get(k) for e in experiments}) > 1]
    fields = fields or list(experiments[0].swept)
    return [short_fields({k: _number(e.swept.get(k)) for k in fields}) for e in experiments]


def _compare_names(experiments: list[ExperimentResult]) -> list[str] | None:
    """The differing fields, short, of experiments whose labels are the automatic ones (reports.labels);
    None when a label was given (--labels) or the commands differ."""
    from sparselab.analysis.reports.hparams_diff import format_fields
    from sparselab.analysis.reports.relevant import differing_fields

    if len({e.command for e in experiments}) > 1:
        return None
    diffs = differing_fields([e.hparams for e in experiments])
    if any(e.label != f"{e.command} {format_fields(d)}".strip() for e, d in zip(experiments, diffs)):
        return None
    names = [short_fields(d) for d in diffs]
    return names if all(names) and len(set(names)) == len(names) else None


def _number(text: Any) -> Any:
    try:
        return float(text) if isinstance(text, str) and any(c in text for c in ".e") else int(text)
    except (TypeError, ValueError):
        return text


def trained_dense(experiment: ExperimentResult, key: str) -> bool:
    """Whether a branch's finished jobs all ended dense though their trunk level was sparse."""
    if key == MAIN:
        return False
    jobs = [job for level in experiment.level_numbers() for _, job in experiment.jobs(level, key)
            if job.get("density") is not None and job.get("trunk_density") is not None]
    return bool(jobs) and all(job.get("density") == 1.0 for job in jobs) and \
        any(job.get("trunk_density") < 1.0 for job in jobs)
