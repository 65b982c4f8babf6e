"""The reliability diagram of one network: accuracy per confidence bin against the diagonal."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_reliability(table: dict[str, list], result: dict[str, Any], path: Path, title: str = "") -> bool:
    """Draw the diagram to `path` (written atomically); False, drawing nothing, without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return False
    from sparselab.core import io as fio

    bins = len(table["count"])
    centres = [(lo + hi) / 2 for lo, hi in zip(table["lower"], table["upper"])]
    fig = Figure(figsize=(5, 5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.bar(centres, [a or 0.0 for a in table["accuracy"]], width=1.0 / bins, edgecolor="black", alpha=0.7,
           label="accuracy")
    gap = [(c, f) for c, f, n in zip(centres, table["confidence"], table["count"]) if n]
    ax.plot([c for c, _ in gap], [f for _, f in gap], "r.", label="mean confidence")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence", ylabel="accuracy",
           title=f"{title}\nECE {result['ece']:.4f} ({bins} bins), accuracy {result['accuracy']:.4f}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fio.write_bytes(path, _png(fig))
    return True


def _png(fig: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
