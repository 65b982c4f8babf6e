"""Uniform random scores, fresh per (seed, level, tensor name) via derive_seed("random_scores", ...)."""
from __future__ import annotations

import torch

from sparselab.core.seeds import derive_seed
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.mask import Mask

data = "none"
description = "uniform noise per (seed, level, tensor)"


def score(model: torch.nn.Module, mask: Mask, context: ScoreContext) -> dict[str, torch.Tensor]:
    out = {}
    for name, m in mask.items():
        generator = torch.Generator(device="cpu").manual_seed(
            derive_seed("random_scores", context.seed, context.level, name))
        out[name] = torch.rand(m.shape, generator=generator)
    return out
