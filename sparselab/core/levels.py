"""Level lists: '0,3,6', '1-27', '0-2,5-8,12'."""
from __future__ import annotations

import re

from sparselab.core.errors import UsageError
from sparselab.core.scalars import parse_number

_ELEMENT = re.compile(r"^([0-9]+)(?:-([0-9]+))?$", re.ASCII)  # no other script's digits
MAX_COUNT = 100_000  # more levels or replicates than anyone runs: a typo, refused before any list is built
_ECHO = 40  # characters of a malformed element echoed in an error line


def parse_levels(text: str, flag: str = "--levels") -> list[int]:
    """Sorted, de-duplicated levels. Malformed, negative or descending ranges are errors."""
    if not isinstance(text, str) or not text.strip():
        raise UsageError(f"{flag}: empty level list; use e.g. 0,3,6 or 1-27")
    ranges, count = [], 0
    for element in text.split(","):
        match = _ELEMENT.match(element.strip()) if len(element) <= _ECHO else None
        if not match:
            shown = element if len(element) <= _ECHO else element[:_ECHO] + "..."
            raise UsageError(f"{flag}: malformed element {shown!r}; use e.g. 0,3,6 or 1-27")
        low = parse_number(int, match.group(1), flag)
        high = parse_number(int, match.group(2), flag) if match.group(2) is not None else low
        if high < low:
            raise UsageError(f"{flag}: descending range {element!r}")
        count += high - low + 1
        if count > MAX_COUNT:
            raise UsageError(f"{flag}: {text if len(text) <= _ECHO else text[:_ECHO] + '...'} names more than "
                             f"{MAX_COUNT:,} values; use a smaller range")
        ranges.append(range(low, high + 1))
    return sorted({value for r in ranges for value in r})
