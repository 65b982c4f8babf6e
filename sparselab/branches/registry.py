"""Branch registry: one file per branch, one line here."""
from __future__ import annotations

from sparselab.branches.base import Branch
from sparselab.branches.oneshot_prune import OneshotPrune
from sparselab.branches.randomly_prune import RandomlyPrune
from sparselab.branches.randomly_reinitialize import RandomlyReinitialize
from sparselab.branches.retrain import Retrain

BRANCHES: dict[str, type[Branch]] = {b.name: b for b in (Retrain, RandomlyReinitialize, RandomlyPrune, OneshotPrune)}
