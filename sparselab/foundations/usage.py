"""Which bundle fields a run actually reads: the evidence that no accepted flag is silently dropped.

Off by default (`TRACE is None`: one global lookup per field read). A test turns it on with `traced()`,
runs a command, and compares the flags the command offered with the fields it read outside
construction, validation, hashing and display (those run under `untraced()`). A hashed field that a
run never reads must be refused when typed; see `Hparams.inapplicable` and `from_args(not_here=)`.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator


@dataclass
class Trace:
    flags: dict[str, tuple[type, str]] = field(default_factory=dict)  # flag dest -> (bundle class, field)
    reads: set[tuple[type, str]] = field(default_factory=set)
    paused: int = 0


TRACE: Trace | None = None


def note_read(cls: type, name: str) -> None:
    trace = TRACE
    if trace is not None and not trace.paused and name in getattr(cls, "__dataclass_fields__", ()):
        trace.reads.add((cls, name))


def note_flag(dest: str, cls: type, name: str) -> None:
    if TRACE is not None:
        TRACE.flags[dest] = (cls, name)


@contextmanager
def traced() -> Iterator[Trace]:
    global TRACE
    previous, TRACE = TRACE, Trace()
    try:
        yield TRACE
    finally:
        TRACE = previous


@contextmanager
def untraced() -> Iterator[None]:
    """Reads inside this block (validation, hashing, display, copies) do not count as use."""
    trace = TRACE
    if trace is not None:
        trace.paused += 1
    try:
        yield
    finally:
        if trace is not None:
            trace.paused -= 1
