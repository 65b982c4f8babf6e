"""The shaded band of `report --plot` around each mean: ± 1 std, ± 1 SEM or a 95 % confidence interval.

Replicates are few (2-5 is usual), so the 95 % interval uses Student's t with n - 1 degrees of
freedom, not the normal 1.96 (which is too narrow by a factor 6.5 at n = 2). The quantiles below are
the standard two-sided 97.5 % points; beyond 30 degrees of freedom the Cornish-Fisher expansion
around the normal quantile is exact to four decimals.
"""
from __future__ import annotations

import math

from sparselab.core.errors import UsageError

BANDS: dict[str, str] = {
    "std": "± 1 std",
    "sem": "± 1 SEM",
    "ci95": "95% CI (Student t)",
}
DEFAULT_BAND = "std"
HELP = ("the shaded band of --plot: std = ± 1 sample standard deviation (default), sem = ± 1 standard error "
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
