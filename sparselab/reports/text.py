"""A plain-text grid with column groups: a title line over each group, then headers, then rows."""
from __future__ import annotations

from dataclasses import dataclass, field

SEPARATOR = " | "
GAP = "  "


@dataclass
class Group:
    title: str
    headers: list[str]
    left: set[int] = field(default_factory=set)  # indexes of left-aligned columns (text, not numbers)


def render(groups: list[Group], rows: list[list[str]]) -> str:
    """Rows hold one cell per header, groups concatenated in order."""
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
        parts = []
        for a, b in spans:
            parts.append(GAP.join(c.ljust(widths[i]) if i in left else c.rjust(widths[i])
                                  for i, c in zip(range(a, b), cells[a:b])))
        return SEPARATOR.join(parts).rstrip()

    lines = []
    if any(g.title for g in groups):
        titles = []
        for g, (a, b) in zip(groups, spans):
            titles.append(g.title.ljust(sum(widths[a:b]) + len(GAP) * (b - a - 1)))
        lines.append(SEPARATOR.join(titles).rstrip())
    lines.append(line([h for g in groups for h in g.headers]))
    lines += [line(r) for r in rows]
    return "\n".join(lines)
