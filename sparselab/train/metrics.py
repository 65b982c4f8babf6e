"""The metric log: one row per evaluation point, rewritten atomically to metrics.csv as it grows."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sparselab.core import layout
from sparselab.core import io as fio
from sparselab.core.csvfile import read_rows

METRICS_FILE = layout.METRICS


class MetricLog:
    def __init__(self, rows: list[dict[str, Any]] | None = None) -> None:
        self.rows: list[dict[str, Any]] = list(rows or [])

    def add(self, row: dict[str, Any]) -> None:
        """A row for an iteration already logged replaces it (resumption re-logs)."""
        self.rows = [r for r in self.rows if r.get("iteration") != row.get("iteration")]
        self.rows.append(dict(row))
        self.rows.sort(key=lambda r: r["iteration"])

    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows:
            for key in row:
                seen.setdefault(key, None)
        return list(seen)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=self.columns(), lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: _fmt(v) for k, v in row.items()})
        return out.getvalue()

    def save(self, directory: Path) -> None:
        fio.write_text(Path(directory) / METRICS_FILE, self.to_csv())

    def state(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows]

    def best(self, key: str) -> dict[str, Any] | None:
        rows = [r for r in self.rows if r.get(key) is not None]
        return max(rows, key=lambda r: r[key]) if rows else None


def _fmt(value: Any) -> Any:
    return repr(value) if isinstance(value, float) else value


read_metrics = read_rows  # metrics.csv back (numbers as int/float, empty cells as None)


# A network that gives one class to at least this share of the test set predicts a constant: its test
# accuracy is that class's frequency (chance), whatever it learnt.
CONSTANT_PREDICTION_FRACTION = 0.99

PREDICTIONS_DIGEST = "final_test_predictions_sha256"  # done.json: the final network's test predictions
REPEATS_PREVIOUS = "repeats_previous_level"  # set by readers that see a level beside the one before it
REPEAT_LOSS_TOLERANCE = 1e-3  # relative


def _close(a: float | None, b: float | None) -> bool:
    return a is None or b is None or abs(a - b) <= REPEAT_LOSS_TOLERANCE * max(abs(a), abs(b))


def mark_repeats(levels: list[dict[str, Any]]) -> None:
    """REPEATS_PREVIOUS on each sparser level with the previous level's test predictions and loss (within
    the tolerance: digits levels 26 -> 27 differ by 9e-5); the loss spares a network that merely predicts
    the same classes (breast_cancer levels 0 -> 1 differ by 19 %)."""
    for before, after in zip(levels, levels[1:]):
        digest = after.get(PREDICTIONS_DIGEST)
        sparser = (after.get("density") or 1.0) < (before.get("density") or 1.0)
        same_loss = _close(after.get("final_test_loss"), before.get("final_test_loss"))
        if digest is not None and digest == before.get(PREDICTIONS_DIGEST) and sparser and same_loss:
            after[REPEATS_PREVIOUS] = True


def collapse_reasons(done: dict[str, Any]) -> list[str]:
    """Why a finished job's network counts as collapsed, from its done.json ([] also for old jobs)."""
    reasons = []
    empty = done.get("empty_prunable_tensors") or []
    if empty:
        reasons.append(f"empty tensor {empty[0]}" + (f" (+{len(empty) - 1})" if len(empty) > 1 else ""))
    if done.get("connected") is False:
        reasons.append("no input-output path")
    top = done.get("final_test_top_prediction_fraction")
    if top is not None and top >= CONSTANT_PREDICTION_FRACTION:
        reasons.append("constant prediction")
    if done.get(REPEATS_PREVIOUS):
        reasons.append("same test predictions as the previous, denser level")
    return reasons
