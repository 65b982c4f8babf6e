"""Level lists: '0,3,6', '1-27', '0-2,5-8,12'."""
from __future__ import annotations

import re

from sparselab.foundations.errors import UsageError
from sparselab.foundations.step import shown

_ELEMENT = re.compile(r"^(\d+)(?:-(\d+))?$")
MAX_ENTRIES = 10_000  # far more levels or replicates than any run has; bounds memory before expanding


def parse_levels(text: str, flag: str = "--levels") -> list[int]:
    """Sorted, de-duplicated levels. Malformed, negative or descending ranges are errors."""
    if not isinstance(text, str) or not text.strip():
        raise UsageError(f"{flag}: empty level list; use e.g. 0,3,6 or 1-27")
    levels: set[int] = set()
    count = 0
    for element in text.split(","):
        match = _ELEMENT.match(element.strip())
        if not match:
            raise UsageError(f"{flag}: malformed element {element!r} in {text!r}; use e.g. 0,3,6 or 1-27")
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if high < low:
            raise UsageError(f"{flag}: descending range {element!r}")
        count += high - low + 1
        if count > MAX_ENTRIES:
            raise UsageError(f"{flag}: {shown(text)} lists more than {MAX_ENTRIES:,} entries")
        levels.update(range(low, high + 1))
    return sorted(levels)
