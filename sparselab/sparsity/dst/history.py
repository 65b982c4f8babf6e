"""The topology history: one row per update, rewritten atomically to `topology.csv`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sparselab.core import layout
from sparselab.core import io as fio
from sparselab.core.csvfile import read_rows

FIXED_COLUMNS = ("iteration", "drop_fraction", "moved", "pruned", "kept", "density")


class TopologyHistory:
    def __init__(self, rows: list[dict[str, Any]] | None = None) -> None:
        self.rows: list[dict[str, Any]] = [dict(r) for r in rows or []]

    def add(self, row: dict[str, Any]) -> None:
        """Add a row; a row for an iteration already present replaces it (a resumed run redoes it)."""
        self.rows = [r for r in self.rows if r["iteration"] != row["iteration"]]
        self.rows.append(dict(row))
        self.rows.sort(key=lambda r: r["iteration"])

    @property
    def moved_total(self) -> int:
        return sum(int(r["moved"]) for r in self.rows)

    def to_csv(self, tensor_names: list[str]) -> str:
        columns = [*FIXED_COLUMNS, *(f"density[{n}]" for n in tensor_names)]
        return fio.csv_text(columns, self.rows)

    def save(self, directory: Path | str, tensor_names: list[str]) -> None:
        fio.write_text(Path(directory) / layout.TOPOLOGY, self.to_csv(tensor_names))

    def state(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows]


def read_topology(path: Path | str) -> list[dict[str, Any]]:
    return read_rows(path)
