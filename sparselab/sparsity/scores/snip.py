"""SNIP (Lee et al. 2019): |g * w| in train mode (at init the running BatchNorm statistics are meaningless)."""
from __future__ import annotations

import torch

from sparselab.sparsity.context import ScoreContext, saliency
from sparselab.sparsity.mask import Mask

data = "batches"
description = "|w dL/dw|, train mode (batch statistics)"


def score(model: torch.nn.Module, mask: Mask, context: ScoreContext) -> dict[str, torch.Tensor]:
    return saliency(model, mask, context, "snip", train_mode=True)
