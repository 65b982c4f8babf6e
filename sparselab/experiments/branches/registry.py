"""Branch registry: one file per branch, one line here."""
from __future__ import annotations

from sparselab.experiments.branches.base import Branch
from sparselab.experiments.branches.oneshot_prune import OneshotPrune
from sparselab.experiments.branches.randomly_prune import RandomlyPrune
from sparselab.experiments.branches.randomly_reinitialize import RandomlyReinitialize
from sparselab.experiments.branches.retrain import Retrain

BRANCHES: dict[str, type[Branch]] = {b.name: b for b in (Retrain, RandomlyReinitialize, RandomlyPrune, OneshotPrune)}
