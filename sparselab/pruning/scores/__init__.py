"""Score registry: name -> ScoreFn(model, mask, context) -> {tensor name: float scores}.

A score gives every weight of every masked tensor a number; higher means more worth keeping. Only
the currently kept weights are candidates, so values at pruned positions do not matter. A score
module that sets `iterative = True` also provides `session(model, context) -> (mask -> scores)` and
is re-evaluated over a schedule of densities inside one pruning call (SynFlow).

Adding a score: one file with `score(model, mask, context)` and one line below.
"""
from __future__ import annotations

from types import ModuleType
from typing import Callable, Mapping

import torch

from sparselab.foundations.registry import Derived
from sparselab.pruning.context import ScoreContext
from sparselab.pruning.mask import Mask
from sparselab.pruning.scores import gradient, grasp, magnitude, random, snip, synflow

ScoreFn = Callable[[torch.nn.Module, Mask, ScoreContext], dict[str, torch.Tensor]]

SCORE_MODULES: dict[str, ModuleType] = {
    "magnitude": magnitude,
    "gradient": gradient,
    "random": random,
    "snip": snip,
    "grasp": grasp,
    "synflow": synflow,
}
SCORES: Mapping[str, ScoreFn] = Derived(SCORE_MODULES, lambda name, module: module.score)  # live view


def unseeded_scores() -> tuple[str, ...]:
    """Deterministic, data-free scores (a module with `seeded = False`): --pruning_seed does not apply."""
    return tuple(name for name, module in SCORE_MODULES.items() if not getattr(module, "seeded", True))


def is_iterative(name: str) -> bool:
    return bool(getattr(SCORE_MODULES[name], "iterative", False))
