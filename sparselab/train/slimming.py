"""Network slimming's training term: the L1 sub-gradient of the BatchNorm scales (Liu et al. 2017, SDD).

After `backward()` and before the optimiser step, `coefficient * sign(gamma)` is added to the
gradient of every BatchNorm2d weight (SDD's `--bn_sparsity_regularization`, coefficient 1e-4). The
hook runs before the mask hook, so the scales of removed channels keep a zero gradient.
"""
from __future__ import annotations

from typing import Any

import torch

from sparselab.train.loop import BaseHook

SLIMMING_L1 = 1e-4  # SDD's (and Liu et al.'s CIFAR) coefficient


class BNL1Hook(BaseHook):
    def __init__(self, coefficient: float) -> None:
        self.coefficient = coefficient

    @torch.no_grad()
    def before_optimizer_step(self, model: torch.nn.Module, optimizer: Any, iteration: int) -> None:
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d) and module.weight is not None and module.weight.grad is not None:
                module.weight.grad.add_(torch.sign(module.weight), alpha=self.coefficient)


def bn_l1_hooks(pruning: Any) -> list[BNL1Hook]:
    """[BNL1Hook] when the pruning bundle asks for the BN L1 term, else []."""
    coefficient = getattr(pruning, "bn_sparsity_regularization", None)
    return [BNL1Hook(coefficient)] if coefficient else []
