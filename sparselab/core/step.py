"""Steps: the one parser of '160ep', '1000it', '2ep100it', and the canonical spelling that enters the hash (`4ep`,
`92it`, `4ep0it` at 23 iterations per epoch are one job): whole epochs `<E>ep` (keeps old hashes), else `<I>it`."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sparselab.core.errors import UsageError

MAX_ITERATIONS = 10**9  # more iterations than any training run: a typo, refused with a clear message
_MAX_DIGITS = 10
_STEP_PATTERN = re.compile(r"(?:([0-9]+)ep)?(?:([0-9]+)it)?", re.ASCII)
_EXAMPLE = "use e.g. 160ep, 1000it or 2ep100it"


@dataclass(frozen=True)
class Spelling:
    epochs: int
    iterations: int

    def total(self, iterations_per_epoch: int) -> int:
        return self.epochs * iterations_per_epoch + self.iterations

    def unit_free(self) -> str:
        """Without the epoch length: 4ep0it -> 4ep, 0ep7it -> 7it, 0it -> 0ep."""
        if self.iterations == 0:
            return f"{self.epochs}ep"
        if self.epochs == 0:
            return f"{self.iterations}it"
        return f"{self.epochs}ep{self.iterations}it"


def shown(text: object, limit: int = 40) -> str:
    """repr for a message, cut to `limit` characters (a 5000-digit typo stays one short line)."""
    r = repr(text)
    return r if len(r) <= limit else f"{r[:limit]}... ({len(r)} characters)"


def parse_spelling(text: str, flag: str = "step") -> Spelling:
    """Syntax of a step; malformed, non-ASCII or absurdly large is a `UsageError`."""
    stripped = text.strip(" \t") if isinstance(text, str) else ""
    match = _STEP_PATTERN.fullmatch(stripped)
    if not isinstance(text, str) or match is None or not any(match.groups()):
        raise UsageError(f"{flag}: malformed step {shown(text)}; {_EXAMPLE}")
    parts = [g or "0" for g in match.groups()]
    if any(len(p.lstrip("0")) > _MAX_DIGITS for p in parts):
        raise UsageError(f"{flag}: {shown(text)} is too large (at most {MAX_ITERATIONS} iterations)")
    spelling = Spelling(int(parts[0]), int(parts[1]))
    if max(spelling.epochs, spelling.iterations) > MAX_ITERATIONS:
        raise UsageError(f"{flag}: {shown(text)} is too large (at most {MAX_ITERATIONS} iterations)")
    return spelling


def parse_iterations(text: str, iterations_per_epoch: int, flag: str = "step") -> int:
    """A step as an absolute iteration, at most MAX_ITERATIONS (a job resolves its steps once: train/steps)."""
    spelling = parse_spelling(text, flag)
    if iterations_per_epoch <= 0:
        raise ValueError(f"iterations_per_epoch must be positive, got {iterations_per_epoch}")
    total = spelling.total(iterations_per_epoch)
    if total > MAX_ITERATIONS:
        raise UsageError(f"{flag}: {shown(text)} is {total} iterations, more than {MAX_ITERATIONS}")
    return total


def spelled(iteration: int, iterations_per_epoch: int) -> str:
    epochs, rest = divmod(iteration, iterations_per_epoch)
    return f"{epochs}ep" if rest == 0 else f"{iteration}it"


def validate_step_string(text: str, flag: str) -> None:
    parse_spelling(text, flag)


def canonical_step(text: str, iterations_per_epoch: int | None, flag: str = "step") -> str:
    """The spelling that enters the hash (unit-free only when the epoch length is unknown)."""
    if iterations_per_epoch is None:
        return parse_spelling(text, flag).unit_free()
    return spelled(parse_iterations(text, iterations_per_epoch, flag), iterations_per_epoch)


def parse_step_list(text: str, flag: str) -> list[str]:
    """'80ep,120ep' -> ['80ep', '120ep'] with each element validated; '' -> []."""
    items = [s.strip() for s in text.split(",")] if text.strip() else []
    for item in items:
        validate_step_string(item, flag)
    return items


def canonical_step_list(text: str, iterations_per_epoch: int | None, flag: str) -> str:
    """Each element canonical, sorted when the epoch length is known."""
    items = [canonical_step(s, iterations_per_epoch, flag) for s in parse_step_list(text, flag)]
    if iterations_per_epoch is not None:
        items.sort(key=lambda s: parse_iterations(s, iterations_per_epoch, flag))
    return ",".join(items)
