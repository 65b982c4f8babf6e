"""Score registry: name -> module with `score(model, mask, context)` (higher = keep; only kept weights are
candidates), `data` ("none", "batches", "per_class"), `description`, `seeded` (default True), optionally
`iterative` + `session` (SynFlow) or `channels = True` + `channel_score` (whole output channels)."""
from __future__ import annotations

from types import ModuleType
from typing import Callable, Mapping, Sequence

import torch

from sparselab.core.registry import Derived, Where
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.scores import (filter_l1, filter_l2, gradient, grasp, magnitude, network_slimming, random, snip,
                                      synflow)

ScoreFn = Callable[[torch.nn.Module, Mask, ScoreContext], dict[str, torch.Tensor]]

SCORE_MODULES: dict[str, ModuleType] = {
    "magnitude": magnitude,
    "gradient": gradient,
    "random": random,
    "snip": snip,
    "grasp": grasp,
    "synflow": synflow,
    "filter_l1": filter_l1,
    "filter_l2": filter_l2,
    "network_slimming": network_slimming,
}


def ranks_channels(module: ModuleType) -> bool:
    return bool(getattr(module, "channels", False))


# Live views: a line added to SCORE_MODULES (in this file or in a test) is seen by every one of them.
WEIGHT_SCORE_MODULES: Mapping[str, ModuleType] = Where(SCORE_MODULES, lambda module: not ranks_channels(module))
CHANNEL_SCORE_MODULES: Mapping[str, ModuleType] = Where(SCORE_MODULES, ranks_channels)
SCORES: Mapping[str, ScoreFn] = Derived(WEIGHT_SCORE_MODULES, lambda name, module: module.score)


def unseeded_scores() -> tuple[str, ...]:
    """Deterministic, data-free scores (a module with `seeded = False`): --pruning_seed does not apply."""
    return tuple(name for name, module in SCORE_MODULES.items() if not getattr(module, "seeded", True))


def scores_seeing(data: str) -> tuple[str, ...]:
    return tuple(name for name, module in SCORE_MODULES.items() if getattr(module, "data", "none") == data)


def data_free_scores() -> str:
    """The weight scores that see no data, for error messages ("magnitude, random, synflow")."""
    return ", ".join(name for name in scores_seeing("none") if name in WEIGHT_SCORE_MODULES)


def help_text(names: Sequence[str], sees: Mapping[str, str], **fill: str) -> str:
    """`name: description, sees <data>, seeded|deterministic` per score; `sees` spells the data for the flag,
    `fill` fills placeholders (SynFlow's `{rounds}`); no `description`: the docstring's first line."""
    entries = []
    for name in names:
        module = SCORE_MODULES[name]
        seeded = "seeded" if getattr(module, "seeded", True) else "deterministic"
        own = getattr(module, "description", None)
        description = own.format(**fill) if own else (module.__doc__ or "").strip().split("\n")[0]
        entries.append(f"{name}: {description}, sees {sees[getattr(module, 'data', 'none')]}, {seeded}")
    return "; ".join(entries)


def is_iterative(name: str) -> bool:
    return bool(getattr(SCORE_MODULES[name], "iterative", False))
