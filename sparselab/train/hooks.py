"""What a training hook is."""
from __future__ import annotations

from typing import Any


class BaseHook:
    """A hook acts on the model around optimiser steps (masks, re-dense switch, DST); these are no-ops."""

    def on_start(self, model, optimizer, iteration) -> None:
        pass

    def before_optimizer_step(self, model, optimizer, iteration) -> None:
        pass

    def after_optimizer_step(self, model, optimizer, iteration) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def metrics(self) -> dict[str, Any]:
        return {}
