"""filter_l2: the L2 norm of each output channel's filter; ranks whole channels."""
from __future__ import annotations

import torch

channels = True  # `pruning.channels` removes whole output channels by this score
seeded = False
data = "none"
description = "||W_c||_2 of each filter"


def channel_score(rows: torch.Tensor, bn: torch.Tensor | None, producer: str) -> torch.Tensor:
    return rows.pow(2).sum(1).sqrt()
