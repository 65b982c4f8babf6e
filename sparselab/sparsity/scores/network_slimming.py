"""network_slimming (Liu et al. 2017): |gamma_c| of the BatchNorm after each channel; ranks whole
channels. A level removes ceil(p * C) channels (SDD's count)."""
from __future__ import annotations

import math

import torch

from sparselab.core.errors import UsageError

channels = True  # `pruning.channels` removes whole output channels by this score
seeded = False
data = "none"
description = "|gamma| of the filter's BatchNorm"


def channel_count(fraction: float, total: int) -> int:
    return math.ceil(fraction * total)


def channel_score(rows: torch.Tensor, bn: torch.Tensor | None, producer: str) -> torch.Tensor:
    if bn is None:
        raise UsageError(f"network_slimming scores BatchNorm scales; this model has no BatchNorm after {producer}")
    return bn.abs()
