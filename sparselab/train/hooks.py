"""What a training hook is: something that acts on the model around optimiser steps."""
from __future__ import annotations

from typing import Any, Protocol

import torch


class TrainingHook(Protocol):
    """Something that acts on the model around optimiser steps (masks, re-dense switch, DST)."""

    def on_start(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None: ...
    def before_optimizer_step(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None: ...
    def after_optimizer_step(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...
    def metrics(self) -> dict[str, Any]: ...


class BaseHook:
    """No-op implementations of every `TrainingHook` method."""

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
