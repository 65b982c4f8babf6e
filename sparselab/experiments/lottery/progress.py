"""What an iterative run tells the user: `[level L/N]` prefixes, the whole run's ETA, and one line
(not one per level) naming the finished levels that are already done and reused."""
from __future__ import annotations

from typing import Callable, Sequence


def level_prefix(level: int, levels: int) -> str:
    return f"[level {level}/{levels}] "


def spans(numbers: Sequence[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> '0-2, 5, 7-8'."""
    out: list[str] = []
    ordered = sorted(numbers)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ", ".join(out)


def reuse_line(done_levels: Sequence[int], pretrain_done: bool, directory: object) -> str | None:
    """The one line saying which finished jobs of `directory` a run reuses (None: nothing reused)."""
    parts = []
    if pretrain_done:
        parts.append("pretraining")
    if done_levels:
        parts.append(f"level{'s' if len(done_levels) > 1 else ''} {spans(done_levels)}")
    if not parts:
        return None
    return f"{' and '.join(parts)}: already done, reused from {directory}"


def rest_of_run(level: int, to_run: Sequence[int]) -> Callable[[float], float]:
    """Seconds of the levels after `level` still to run, each estimated as long as this one."""
    after = sum(1 for other in to_run if other > level)
    return lambda level_seconds: after * level_seconds
