"""A toy DST method for the registry test: grow the inactive positions of lowest flat index."""
from __future__ import annotations

import torch

from sparselab.sparsity.dst.growth import GrowthInputs
from sparselab.sparsity.dst.methods import DSTMethod


def grow(inputs: GrowthInputs) -> dict[str, torch.Tensor]:
    """Score -index: the first inactive positions of each tensor are grown."""
    return {name: -torch.arange(p.numel(), dtype=torch.float32, device=p.device).reshape(p.shape)
            for name, p in inputs.params.items()}


method = DSTMethod(grow, "toy growth: lowest flat index first, sees no data")
