"""SynFlow (Tanaka et al. 2020): data-free, iterative.

On a float64 copy of the model in eval mode, every floating-point entry of the state dict (weights,
biases, BatchNorm parameters and running statistics) is replaced by its absolute value and the
masked weights are multiplied by the mask. R = sum(model(ones)) for one all-ones input of the
model's input shape, and the score is |w * dR/dw|. float64 keeps R finite for deep networks (R grows
like the product of the layers' absolute weight sums). The caller's model is never modified, so its
signs and values are untouched.

Iterative use (`session`): the absolute network is built once and each round only re-masks it; the
pruning driver runs `synflow_iterations` rounds with the exponential schedule d_k = d0 * (d/d0)^(k/n).
"""
from __future__ import annotations

from typing import Callable

import torch

from sparselab.core.errors import UsageError
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.scores.common import masked_weights, working_copy

seeded = False  # deterministic and data-free: --pruning_seed does not apply

iterative = True
data = "none"
description = ("|w dR/dw| on the absolute-valued network fed one all-ones input, eval mode, "
               "{rounds} rounds")


def session(model: torch.nn.Module, context: ScoreContext) -> Callable[[Mask], dict[str, torch.Tensor]]:
    """A scorer mask -> scores that reuses one absolute-valued copy of `model`."""
    shape = getattr(model, "input_shape", None) or context.input_shape
    if shape is None:
        raise UsageError("pruning score 'synflow' needs the model's input shape (model.input_shape or "
                         "ScoreContext.input_shape)")
    device = context.model_device(model)
    work = working_copy(model, Mask(), device, dtype=torch.float64)
    work.eval()
    with torch.no_grad():
        for value in work.state_dict().values():
            if value.is_floating_point():
                value.abs_()
    absolute = {name: p.detach().clone() for name, p in work.named_parameters()}
    ones = torch.ones((1, *shape), dtype=torch.float64, device=device)

    def scorer(mask: Mask) -> dict[str, torch.Tensor]:
        params = masked_weights(work, mask)
        with torch.no_grad():
            for name, p in params.items():
                p.copy_(absolute[name] * mask[name].to(device))
                p.grad = None
        work(ones).sum().backward()
        return {name: (p.grad * p.detach()).abs() if p.grad is not None else torch.zeros_like(p.detach())
                for name, p in params.items()}

    return scorer


def score(model: torch.nn.Module, mask: Mask, context: ScoreContext) -> dict[str, torch.Tensor]:
    """One round of SynFlow scores at the current mask."""
    return session(model, context)(mask)
