"""SNIP (Lee et al. 2019): |g * w| at the current (initial) weights on the context's batches.

Unlike `gradient`, the copy is scored in train mode: at initialisation the BatchNorm running
statistics are meaningless, so batch statistics are used, as in the published method.
"""
from __future__ import annotations

import torch

from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.scores.common import saliency

data = "batches"
description = "|w dL/dw|, train mode (batch statistics)"


def score(model: torch.nn.Module, mask: Mask, context: ScoreContext) -> dict[str, torch.Tensor]:
    return saliency(model, mask, context, "snip", train_mode=True)
