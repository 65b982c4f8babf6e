"""Masked training: gradients masked before the optimiser step and weights after it (one fused
`torch._foreach_mul_` each); pruned weights' optimiser state is zeroed, so regrown weights start at 0.
Limitation: Adam's per-tensor step counter is shared, so a regrown weight sees the tensor's count."""
from __future__ import annotations

from typing import Any

import torch

from sparselab.sparsity.mask import Mask

OPTIMIZER_STATE_KEYS = ("momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")


@torch.no_grad()
def zero_optimizer_state(optimizer: torch.optim.Optimizer, param: torch.Tensor, where: torch.Tensor) -> None:
    state = optimizer.state.get(param)
    if not state:
        return
    for key in OPTIMIZER_STATE_KEYS:
        value = state.get(key)
        if isinstance(value, torch.Tensor) and value.shape == param.shape:
            value.masked_fill_(where.to(value.device), 0)


class MaskHook:
    """Holds `mask` on the model's device; from `regain_at_iteration` on it is all ones (re-dense training)."""

    def __init__(self, mask: Mask, regain_at_iteration: int | None = None) -> None:
        self.mask = mask
        self.regain_at_iteration = regain_at_iteration
        self.regained = False
        self._density = mask.density
        self._model: torch.nn.Module | None = None
        self._params: list[torch.Tensor] = []
        self._masks: list[torch.Tensor] = []

    def _bind(self, model: torch.nn.Module) -> None:
        if self._model is model:
            return
        params = self.mask.check_model(model)
        self._params, self._masks = [], []
        for name, m in self.mask.items():
            if bool(m.all()):
                continue
            p = params[name]
            self._params.append(p)
            self._masks.append(torch.empty_like(p).copy_(m))  # same device, dtype and memory format
        self._model = model

    def _regain_due(self, iteration: int) -> bool:
        return (self.regain_at_iteration is not None and not self.regained and iteration >= self.regain_at_iteration)

    def _regain(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
        dense = Mask({name: torch.ones_like(m) for name, m in self.mask.items()})
        self.set_mask(dense, model, optimizer)
        self.regained = True

    @torch.no_grad()
    def on_start(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
        self._model = None
        self._bind(model)
        if self._regain_due(iteration):
            self._regain(model, optimizer)
            return
        if self._params:
            torch._foreach_mul_(self._params, self._masks)
        for p, m in zip(self._params, self._masks):
            zero_optimizer_state(optimizer, p, m == 0)

    @torch.no_grad()
    def before_optimizer_step(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
        self._bind(model)
        if self._regain_due(iteration):
            self._regain(model, optimizer)
        if not self._params:
            return
        grads = [p.grad for p in self._params]
        if any(g is None for g in grads):
            pairs = [(g, m) for g, m in zip(grads, self._masks) if g is not None]
            if not pairs:
                return
            grads, masks = [g for g, _ in pairs], [m for _, m in pairs]
        else:
            masks = self._masks
        torch._foreach_mul_(grads, masks)

    @torch.no_grad()
    def after_optimizer_step(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
        self._bind(model)
        if self._params:
            torch._foreach_mul_(self._params, self._masks)

    def metrics(self) -> dict[str, Any]:
        return {"density": self._density}

    def state_dict(self) -> dict[str, Any]:
        return {"mask": self.mask.state_dict(), "regained": self.regained}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mask = Mask(state["mask"])
        self.regained = bool(state.get("regained", False))
        self._density = self.mask.density
        self._model = None

    @torch.no_grad()
    def set_mask(self, new_mask: Mask, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
        """Install `new_mask` (a missing tensor is dense): changed weights go to 0 with zero optimiser state."""
        params = new_mask.check_model(model)
        for name in set(self.mask.keys()) | set(new_mask.keys()):
            if name not in params:  # present only in the old mask: dense from now on
                params.update(Mask({name: self.mask[name]}).check_model(model))
            p = params[name]
            old = self.mask[name].to(p.device) if name in self.mask else None
            new = new_mask[name].to(p.device) if name in new_mask else None
            changed = ~new if old is None else ~old if new is None else ~(old & new)
            if bool(changed.any()):
                p.masked_fill_(changed, 0)
                zero_optimizer_state(optimizer, p, changed)
        self.mask = new_mask
        self._density = new_mask.density
        self._model = None
        self._bind(model)
