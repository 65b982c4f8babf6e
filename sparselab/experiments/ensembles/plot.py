"""Figures of an ensemble evaluation: the pairwise disagreement heat map and the reliability diagram."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from sparselab.core.errors import UsageError

        raise UsageError("--plot needs matplotlib: pip install matplotlib") from None
    return plt


def plot_disagreement(names: Sequence[str], matrix: list[list[float]], path: Path | str) -> None:
    plt = _pyplot()
    m = len(names)
    fig, ax = plt.subplots(figsize=(1.2 * m + 2.5, 1.2 * m + 1.5))
    image = ax.imshow(matrix, cmap="viridis", vmin=0)
    ax.set_xticks(range(m), labels=names, rotation=45, ha="right")
    ax.set_yticks(range(m), labels=names)
    top = max(max(row) for row in matrix) or 1.0
    for i in range(m):
        for j in range(m):
            colour = "black" if matrix[i][j] > 0.6 * top else "white"
            ax.text(j, i, f"{matrix[i][j]:.3f}", ha="center", va="center", color=colour, fontsize=8)
    ax.set_title("pairwise prediction disagreement")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_reliability(result: dict[str, Any], names: Sequence[str], path: Path | str) -> None:
    """Accuracy per confidence bin for the ensemble (bars) and each member (dots), with the diagonal."""
    plt = _pyplot()
    table = result["calibration"]
    bins = result["bins"]
    centres = [(lo + hi) / 2 for lo, hi in zip(table["lower"], table["upper"])]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.bar(centres, [a or 0.0 for a in table["accuracy"]], width=1.0 / bins, edgecolor="black", alpha=0.6,
           label=f"ensemble (ECE {result['ensemble']['ece']:.3f})")
    for name, member, scores in zip(names, result["member_calibration"], result["members"]):
        points = [(c, a) for c, a in zip(centres, member["accuracy"]) if a is not None]
        ax.plot([c for c, _ in points], [a for _, a in points], "o", ms=3,
                label=f"{name} (ECE {scores['ece']:.3f})")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"reliability diagram ({bins} bins)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
