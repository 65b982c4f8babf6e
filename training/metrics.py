"""The metric log: one row per evaluation point, rewritten atomically to metrics.csv as it grows."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from foundations import io as fio
from foundations.csvfile import read_rows

METRICS_FILE = "metrics.csv"


class MetricLog:
    def __init__(self, rows: list[dict[str, Any]] | None = None) -> None:
        self.rows: list[dict[str, Any]] = list(rows or [])

    def add(self, row: dict[str, Any]) -> None:
        """Add a row; a row for an iteration already logged replaces it (resumption re-logs)."""
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


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Parse metrics.csv back (numbers as int/float, empty cells as None)."""
    return read_rows(path)
