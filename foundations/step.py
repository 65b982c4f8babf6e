"""`Step`: a point in training as an absolute iteration count plus iterations per epoch."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from foundations.errors import UsageError

_STEP_PATTERN = re.compile(r"^\s*(?:(\d+)\s*ep)?\s*(?:(\d+)\s*it)?\s*$")


@functools.total_ordering
@dataclass(frozen=True)
class Step:
    iteration: int
    iterations_per_epoch: int

    def __post_init__(self) -> None:
        if self.iterations_per_epoch <= 0:
            raise ValueError(f"iterations_per_epoch must be positive, got {self.iterations_per_epoch}")
        if self.iteration < 0:
            raise ValueError(f"a step cannot be negative, got {self.iteration}")

    @staticmethod
    def parse(text: str, iterations_per_epoch: int) -> "Step":
        """Parse '160ep', '1000it', '2ep100it' or '0ep'. Malformed strings are a `UsageError`."""
        iterations = parse_iterations(text, iterations_per_epoch)
        return Step(iterations, iterations_per_epoch)

    @property
    def ep(self) -> int:
        return self.iteration // self.iterations_per_epoch

    @property
    def it(self) -> int:
        return self.iteration % self.iterations_per_epoch

    def _check(self, other: object) -> "Step":
        if not isinstance(other, Step):
            raise TypeError(f"cannot compare a Step with {type(other).__name__}")
        if other.iterations_per_epoch != self.iterations_per_epoch:
            raise ValueError("cannot compare steps with different iterations per epoch")
        return other

    def __lt__(self, other: object) -> bool:
        return self.iteration < self._check(other).iteration

    def __str__(self) -> str:
        return f"{self.ep}ep{self.it}it"


def validate_step_string(text: str, flag: str) -> None:
    """Check the syntax of a step string without knowing iterations per epoch."""
    if not isinstance(text, str) or not _STEP_PATTERN.match(text) or not re.search(r"\d", text):
        raise UsageError(f"{flag}: malformed step {text!r}; use e.g. 160ep, 1000it or 2ep100it")


def parse_iterations(text: str, iterations_per_epoch: int, flag: str = "step") -> int:
    validate_step_string(text, flag)
    match = _STEP_PATTERN.match(text)
    assert match is not None
    epochs = int(match.group(1) or 0)
    iterations = int(match.group(2) or 0)
    return epochs * iterations_per_epoch + iterations


def parse_step_list(text: str, flag: str) -> list[str]:
    """'80ep,120ep' -> ['80ep', '120ep'] with each element validated; '' -> []."""
    items = [s.strip() for s in text.split(",")] if text.strip() else []
    for item in items:
        validate_step_string(item, flag)
    return items
