"""Branch registry: one file per branch, one line here."""
from __future__ import annotations

from branches.base import Branch
from branches.oneshot_prune import OneshotPrune
from branches.randomly_prune import RandomlyPrune
from branches.randomly_reinitialize import RandomlyReinitialize
from branches.retrain import Retrain

BRANCHES: dict[str, type[Branch]] = {b.name: b for b in (Retrain, RandomlyReinitialize, RandomlyPrune, OneshotPrune)}
