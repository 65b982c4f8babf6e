"""|w * dL/dw| on the context's training batches (first-order saliency of a trained network).

The model is scored in eval mode: BatchNorm uses its running statistics, which are well estimated
after training, so the score does not depend on how the scoring batch happens to be composed, and
the caller's running statistics are never updated (scores run on a copy anyway).
"""
from __future__ import annotations

import torch

from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.scores.common import saliency

data = "batches"
description = "|w dL/dw|, eval mode"


def score(model: torch.nn.Module, mask: Mask, context: ScoreContext) -> dict[str, torch.Tensor]:
    return saliency(model, mask, context, "gradient", train_mode=False)
