"""|w|: keep the largest weights."""
from __future__ import annotations

import torch

from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.mask import Mask

seeded = False  # deterministic and data-free: --pruning_seed does not apply
data = "none"
description = "|w|"


def score(model: torch.nn.Module, mask: Mask, context: ScoreContext) -> dict[str, torch.Tensor]:
    params = mask.check_model(model)
    return {name: p.detach().abs() for name, p in params.items()}
