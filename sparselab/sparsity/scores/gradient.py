"""|w * dL/dw| on the context's training batches, in eval mode: a trained network's running BatchNorm
statistics are well estimated, so the score does not depend on the batch's composition."""
from __future__ import annotations

import torch

from sparselab.sparsity.context import ScoreContext, saliency
from sparselab.sparsity.mask import Mask

data = "batches"
description = "|w dL/dw|, eval mode"


def score(model: torch.nn.Module, mask: Mask, context: ScoreContext) -> dict[str, torch.Tensor]:
    return saliency(model, mask, context, "gradient", train_mode=False)
