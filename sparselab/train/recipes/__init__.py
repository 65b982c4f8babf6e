"""Recipes of the seed papers: `--default_hparams=<recipe>` reproduces a published experiment.

A recipe is data only: the flag values (a flat dict over the bundles, like a model preset), the
command it is meant for, a one-line description and its source. One file per seed code base:
`sdd.py` (Sparse Double Descent / OpenLTH), `random_pruning.py`, `freetickets.py`,
`sparse_to_sparse.py`. The README section "Recipes for the seed papers" shows the full commands,
including the branch commands that run on a recipe's trunk; deviations from the seed code are listed
in each file's docstring.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sparselab.core import cli


@dataclass(frozen=True)
class Recipe:
    command: str  # the sparselab command the values are for (train, lottery, rewindLR, finetune, scratch)
    description: str  # one line
    source: str  # paper, section / the reference note's section
    values: Mapping[str, Any]


def _collect() -> dict[str, Recipe]:
    from sparselab.train.recipes import freetickets, random_pruning, sdd, sparse_to_sparse

    table: dict[str, Recipe] = {}
    for module in (sdd, random_pruning, freetickets, sparse_to_sparse):
        for name, recipe in module.RECIPES.items():
            assert name not in table, f"recipe {name} defined twice"
            table[name] = recipe
    return table


RECIPES: dict[str, Recipe] = _collect()
cli.RECIPE_NAMES[:] = list(RECIPES)


def recipe_values(name: str) -> dict[str, Any] | None:
    """The flag values of recipe `name`, or None if there is no such recipe."""
    recipe = RECIPES.get(name)
    return None if recipe is None else dict(recipe.values)
