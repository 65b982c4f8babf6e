"""SIGTERM, SIGUSR2 and SIGINT held until the step has finished, so the loop checkpoints before the handler runs;
a second signal runs at once (Ctrl-C twice means now). Main thread of one process only (ranks stop together).
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
