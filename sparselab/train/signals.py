"""Signals held back until the current training step has finished, so the loop can checkpoint first.

SIGTERM and SIGUSR2 (`main.handle_termination`) and SIGINT normally raise at once, wherever the
process is, which may be half-way through an optimiser step. While training, `held_signals()` records
such a signal instead; the loop asks `pending` after each step, writes a checkpoint of that
consistent state and calls `release()`, which restores the handlers and runs the one that was
replaced (it raises, e.g. `Terminated`). A second signal while one is pending is not held: it runs
its handler at once (a user pressing Ctrl-C twice means now). Only in the main thread of one
process: ranks of a process group stay as they were (they must all stop at the same step).
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

HELD = ("SIGTERM", "SIGUSR2", "SIGINT")


class HeldSignals:
    def __init__(self) -> None:
        self.pending: list[int] = []
        self._previous: dict[int, Callable[[int, Any], Any]] = {}

    def install(self) -> None:
        for name in HELD:
            sig = getattr(signal, name, None)
            handler = signal.getsignal(sig) if sig is not None else None
            if sig is not None and callable(handler):  # SIG_DFL/SIG_IGN stay as they are
                self._previous[sig] = handler
                signal.signal(sig, self._hold)

    def _hold(self, signum: int, frame: Any) -> None:
        if self.pending:
            self.restore()
            self._previous_handler(signum)(signum, frame)
        self.pending.append(signum)

    def _previous_handler(self, signum: int) -> Callable[[int, Any], Any]:
        return self._previous.get(signum, signal.default_int_handler)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def release(self) -> None:
        """Run the held signal's own handler (after the checkpoint); nothing when none is pending."""
        if not self.pending:
            return
        signum = self.pending[0]
        handler = self._previous_handler(signum)
        self.pending.clear()
        self.restore()
        handler(signum, None)


@contextmanager
def held_signals(enabled: bool = True) -> Iterator[HeldSignals]:
    held = HeldSignals()
    if enabled and threading.current_thread() is threading.main_thread():
        held.install()
    try:
        yield held
    finally:
        held.restore()
