"""The one table printer (`core/table.py`): `rule=True` draws a line of '-' under the headers, as
wide as the header line, also in each stacked part of a table split to fit."""
from __future__ import annotations

from sparselab.core.table import Group, render


def test_a_rule_under_the_headers_as_wide_as_they_are() -> None:
    text = render([Group("", ["member", "accuracy"], left={0})], [["a", "97.00%"], ["ensemble", "98.50%"]],
                  width=None, rule=True)
    assert text.splitlines() == ["member    accuracy", "------------------", "a           97.00%",
                                 "ensemble    98.50%"]
    assert "-" not in render([Group("", ["a"])], [["1"]], width=None)


def test_each_part_of_a_split_table_keeps_its_rule() -> None:
    groups = [Group("", ["job", *(f"column_{i}" for i in range(6))], left={0})]
    parts = render(groups, [["x", *(f"{i}" * 8 for i in range(6))]], width=40, rule=True).split("\n\n")
    assert len(parts) > 1
    for part in parts:
        header, rule = part.splitlines()[:2]
        assert rule == "-" * len(header)
