"""SynFlow (Tanaka et al. 2020): |w * dR/dw|, R = sum(model(ones)) on a float64 (R stays finite), eval-mode copy
with every floating state entry made absolute and masked weights times the mask. `session` builds the copy
once; the driver runs `synflow_iterations` rounds, d_k = d0 * (d/d0)^(k/n)."""
from __future__ import annotations

from typing import Callable

import torch

from sparselab.core.errors import UsageError
from sparselab.sparsity.context import ScoreContext, masked_weights, working_copy
from sparselab.sparsity.mask import Mask

seeded = False  # deterministic and data-free: --pruning_seed does not apply

iterative = True
data = "none"
description = ("|w dR/dw| on the absolute-valued network fed one all-ones input, eval mode, {rounds} rounds")


def session(model: torch.nn.Module, context: ScoreContext) -> Callable[[Mask], dict[str, torch.Tensor]]:
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
    return session(model, context)(mask)
