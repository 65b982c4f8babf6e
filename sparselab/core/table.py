"""The one table printer: column groups (a title over each), headers, rows. A table fits the terminal unless
`set_width(None)` (`--wide`): first the widest text column is cut with '…', then the columns are split into
stacked tables that each repeat the first column."""
from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field

SEPARATOR = " | "
GAP = "  "
ELLIPSIS = "…"
MIN_TEXT = 24  # a cut text column keeps at least this many characters

_width: list[int | None] = [0]  # 0: the terminal's width, looked up at each render; None: unlimited


@dataclass
class Group:
    title: str
    headers: list[str]
    left: set[int] = field(default_factory=set)  # indexes of left-aligned columns (text, not numbers)


def set_width(width: int | None) -> None:
    """None = unlimited (`--wide`), 0 = the terminal's."""
    _width[0] = width


def current_width() -> int | None:
    """Given, else the terminal's ($COLUMNS or the tty); unlimited into a file or pipe without $COLUMNS."""
    width = _width[0]
    if width != 0:
        return width
    if not os.environ.get("COLUMNS") and not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size((100, 24)).columns


def render(groups: list[Group], rows: list[list[str]], width: int | None | bool = True, rule: bool = False) -> str:
    """One cell per header, groups in order; `width=True`: the current width; `rule`: '-' under the headers."""
    limit = current_width() if width is True else width
    text = _render(groups, rows, rule)
    if limit is None or _longest(text) <= limit:
        return text
    rows = _cut_text(groups, rows, limit)
    text = _render(groups, rows, rule)
    if _longest(text) <= limit:
        return text
    return "\n\n".join(_render(g, r, rule) for g, r in _chunks(groups, rows, limit))


def _longest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def _columns(groups: list[Group]) -> list[tuple[int, str, bool]]:
    return [(gi, h, i in g.left) for gi, g in enumerate(groups) for i, h in enumerate(g.headers)]


def _cut_text(groups: list[Group], rows: list[list[str]], limit: int) -> list[list[str]]:
    """Shorten the widest left-aligned column (not the first) so the table fits, keeping MIN_TEXT."""
    columns = _columns(groups)
    text_cols = [i for i, (_, _, left) in enumerate(columns) if left and i > 0]
    if not text_cols or not rows:
        return rows
    widest = max(text_cols, key=lambda i: max(len(r[i]) for r in rows if i < len(r)))
    excess = _longest(_render(groups, rows)) - limit
    current = max(len(r[widest]) for r in rows if widest < len(r))
    keep = max(MIN_TEXT, current - excess, len(columns[widest][1]))
    return [[c[: keep - 1] + ELLIPSIS if i == widest and len(c) > keep else c for i, c in enumerate(r)]
            for r in rows]


def _chunks(groups: list[Group], rows: list[list[str]], limit: int) -> list[tuple[list[Group], list[list[str]]]]:
    """Columns after the first in stacked tables no wider than `limit`, each group kept together where it fits."""
    columns = _columns(groups)
    cell = [max([len(columns[i][1])] + [len(r[i]) for r in rows if i < len(r)]) for i in range(len(columns))]
    units: list[list[int]] = []  # whole groups where they fit, else single columns
    for gi in range(len(groups)):
        unit = [i for i in range(1, len(columns)) if columns[i][0] == gi]
        size = cell[0] + sum(len(SEPARATOR) + cell[i] for i in unit)
        units += ([unit] if size <= limit else [[i] for i in unit]) if unit else []
    chunks: list[list[int]] = []
    used = 0
    for unit in units:
        extra = sum(len(SEPARATOR) + cell[i] for i in unit)
        if chunks and used + extra <= limit:
            chunks[-1] += unit
            used += extra
        else:
            chunks.append(list(unit))
            used = cell[0] + extra
    out = []
    for chunk in chunks:
        picked = [0, *chunk]
        new_groups: list[Group] = []
        last = -1
        for i in picked:
            gi, header, left = columns[i]
            if gi != last:
                new_groups.append(Group(groups[gi].title, []))
                last = gi
            new_groups[-1].headers.append(header)
            if left:
                new_groups[-1].left.add(len(new_groups[-1].headers) - 1)
        out.append((new_groups, [[r[i] for i in picked if i < len(r)] for r in rows]))
    return out


def _render(groups: list[Group], rows: list[list[str]], rule: bool = False) -> str:
    spans, start = [], 0
    for g in groups:
        spans.append((start, start + len(g.headers)))
        start += len(g.headers)
    widths = [len(h) for g in groups for h in g.headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    for g, (a, b) in zip(groups, spans):  # a long group title widens its last column
        inner = sum(widths[a:b]) + len(GAP) * (b - a - 1)
        if len(g.title) > inner:
            widths[b - 1] += len(g.title) - inner
    left = {a + i for g, (a, _) in zip(groups, spans) for i in g.left}

    def line(cells: list[str]) -> str:
        return SEPARATOR.join(GAP.join(c.ljust(widths[i]) if i in left else c.rjust(widths[i])
                                       for i, c in zip(range(a, b), cells[a:b])) for a, b in spans).rstrip()

    lines = []
    if any(g.title for g in groups):
        titles = [g.title.ljust(sum(widths[a:b]) + len(GAP) * (b - a - 1)) for g, (a, b) in zip(groups, spans)]
        lines.append(SEPARATOR.join(titles).rstrip())
    lines.append(line([h for g in groups for h in g.headers]))
    if rule:
        lines.append("-" * len(lines[-1]))
    lines += [line(r) for r in rows]
    return "\n".join(lines)
