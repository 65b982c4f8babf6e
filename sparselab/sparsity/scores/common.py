"""Helpers of the data-driven scores: a masked working copy of the model, its masked weights."""
from __future__ import annotations

import copy

import torch
from torch import nn

from sparselab.sparsity.mask import Mask


def working_copy(model: nn.Module, mask: Mask, device: torch.device, dtype: torch.dtype | None = None) -> nn.Module:
    """A deep copy on `device` with the pruned weights zeroed (the caller's model is never touched)."""
    work = copy.deepcopy(model).to(device)
    if dtype is not None:
        work = work.to(dtype)
    mask.apply_(work)
    for p in work.parameters():
        p.grad = None
    return work


def masked_weights(work: nn.Module, mask: Mask) -> dict[str, nn.Parameter]:
    """The masked parameters of `work`; only they require gradients."""
    params = mask.check_model(work)
    for name, p in work.named_parameters():
        p.requires_grad_(name in params)
    return params


def saliency(model: nn.Module, mask: Mask, context, name: str, train_mode: bool) -> dict[str, torch.Tensor]:
    """|w * dL/dw| with the gradient of the loss summed over the context's scoring batches."""
    from sparselab.core.errors import UsageError

    device = context.model_device(model)
    work = working_copy(model, mask, device)
    work.train(train_mode)
    params = masked_weights(work, mask)
    seen = 0
    for x, y in context.scoring_batches(name):
        loss = context.loss_fn(work(x.to(device)), y.to(device))
        loss.backward()
        seen += 1
    if seen == 0:
        raise UsageError(f"pruning score {name!r}: the training data gave no batches")
    return {n: (p.detach() * p.grad).abs() if p.grad is not None else torch.zeros_like(p.detach())
            for n, p in params.items()}
