"""What an iterative run tells the user: `[level L/N]` prefixes, the whole run's ETA, and one line
(not one per level) naming the finished levels that are already done and reused."""
from __future__ import annotations

from itertools import groupby
from typing import Callable, Sequence


def level_prefix(level: int, levels: int) -> str:
    return f"[level {level}/{levels}] "


def spans(numbers: Sequence[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> '0-2, 5, 7-8'."""
    runs = [[n for _, n in run] for _, run in groupby(enumerate(sorted(numbers)), lambda p: p[1] - p[0])]
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def reuse_line(done_levels: Sequence[int], pretrain_done: bool, directory: object) -> str | None:
    """The one line saying which finished jobs of `directory` a run reuses (None: nothing reused)."""
    parts = ["pretraining"] if pretrain_done else []
    if done_levels:
        parts.append(f"level{'s' if len(done_levels) > 1 else ''} {spans(done_levels)}")
    return f"{' and '.join(parts)}: already done, reused from {directory}" if parts else None


def rest_of_run(level: int, to_run: Sequence[int]) -> Callable[[float], float]:
    """Seconds of the levels after `level` still to run, each estimated as long as this one."""
    after = sum(1 for other in to_run if other > level)
    return lambda level_seconds: after * level_seconds
