"""Reading the CSV files jobs write (metrics, reports, topology): numbers back as numbers."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


def parse_cell(text: str | None) -> Any:
    """int, else float, else the text; an empty cell is None."""
    if text is None or text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_rows(path: Path | str) -> list[dict[str, Any]]:
    with open(path, newline="") as f:
        return [{k: parse_cell(v) for k, v in row.items()} for row in csv.DictReader(f)]
