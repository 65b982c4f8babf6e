"""The table printed at the end of an iterative run: one row per level (rendered by `core/table.py`)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from sparselab.core.table import Group, render
from sparselab.train.metrics import collapse_reasons, mark_repeats

if TYPE_CHECKING:
    from sparselab.store.levels import LevelStore


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def level_table(store: "LevelStore", levels: Iterable[int]) -> str:
    """One row per level; a level whose network collapsed (training.metrics.collapse_reasons) says why
    in the last column, so a dead network is never read as a data point."""
    levels = list(levels)
    dones = {lv: store.metrics(lv) for lv in levels if store.done(lv)}
    mark_repeats([dones[lv] for lv in sorted(dones)])
    rows, collapsed, noisy = [], [], False
    for level in levels:
        if level not in dones:
            rows.append([str(level), "-", "-", "-", "-", "(missing)"])
            continue
        done = dones[level]
        density = done.get("density")
        row = [str(level), f"{density:.4f}" if density is not None else "-",
               _pct(None if density is None else 1 - density),
               _pct(done.get("final_test_accuracy")), _pct(done.get("best_test_accuracy"))]
        if done.get("final_train_clean_accuracy") is not None:
            noisy = True
            row += [_pct(done.get("final_train_clean_accuracy")), _pct(done.get("final_train_noisy_accuracy"))]
        rows.append(row)
        collapsed.append((len(rows) - 1, collapse_reasons(done)))
    header = ["level", "density", "sparsity%", "final_test%", "best_test%"] + ["train_clean%", "train_noisy%"] * noisy
    left: set[int] = set()
    if any(reasons for _, reasons in collapsed):  # the reasons read left to right
        left = {len(header)}
        header.append("collapsed")
    # a missing level's note shows only under a column it can fill
    rows = [(r + [""] * len(header))[:len(header)] for r in rows]
    if left:
        for index, reasons in collapsed:
            rows[index][-1] = "COLLAPSED: " + ", ".join(reasons) if reasons else ""
    return render([Group("", header, left=left)], rows, width=None)
