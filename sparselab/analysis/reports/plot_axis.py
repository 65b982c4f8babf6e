"""The density axis of `report --plot`: log scale, labels at readable round numbers.

Labels sit at decades (100, 10, 1, 0.1 %) with unlabelled minor ticks at 2..9 of each decade, as in
the lottery-ticket papers; a run that spans less than two decades also labels 2 and 5 (100, 50, 20),
and one inside half a decade every integer multiple (100, 90, 80, ...): the coarsest of these that
gives at least three labels. Ticks cover the padded axis, so the 0.1 of a run ending at 0.12 % is
labelled. Labels never follow the data's levels (80, 64, 51.2 ... would overlap and read badly).
"""
from __future__ import annotations

import math
from typing import Any

# span in decades below which more multiples of each decade are labelled
_MULTIPLES: tuple[tuple[float, tuple[int, ...]], ...] = (
    (2.0, (1,)),
    (0.5, (1, 2, 5)),
    (0.0, (1, 2, 3, 4, 5, 6, 7, 8, 9)),
)


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


def draw(ax: Any, xs: list[float]) -> None:
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
