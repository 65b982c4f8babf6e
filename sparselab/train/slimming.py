"""Network slimming (Liu et al. 2017, SDD's `--bn_sparsity_regularization`): `coefficient * sign(gamma)` added
to every BatchNorm2d weight's gradient before the step; before the mask hook, so removed channels keep zero."""
from __future__ import annotations

from typing import Any

import torch

from sparselab.train.loop import BaseHook

class BNL1Hook(BaseHook):
    def __init__(self, coefficient: float) -> None:
        self.coefficient = coefficient

    @torch.no_grad()
    def before_optimizer_step(self, model: torch.nn.Module, optimizer: Any, iteration: int) -> None:
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d) and module.weight is not None and module.weight.grad is not None:
                module.weight.grad.add_(torch.sign(module.weight), alpha=self.coefficient)


def bn_l1_hooks(pruning: Any) -> list[BNL1Hook]:
    coefficient = getattr(pruning, "bn_sparsity_regularization", None)
    return [BNL1Hook(coefficient)] if coefficient else []
