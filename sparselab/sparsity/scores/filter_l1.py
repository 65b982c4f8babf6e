"""filter_l1 (Li et al. 2017): the L1 norm of each output channel's filter; ranks whole channels."""
from __future__ import annotations

import torch

channels = True  # `pruning.channels` removes whole output channels by this score
seeded = False
data = "none"
description = "sum |W_c| of each filter"


def channel_score(rows: torch.Tensor, bn: torch.Tensor | None, producer: str) -> torch.Tensor:
    """`rows`: the producer's weight as (channels, fan-in); `bn`: the following BatchNorm's weight."""
    return rows.abs().sum(1)
