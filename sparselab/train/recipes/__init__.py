"""Recipes of the seed papers (`--default_hparams=<recipe>`): data only, one file per seed code base, each
listing its deviations from the seed code; the README section "Recipes for the seed papers" has the commands.
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
    recipe = RECIPES.get(name)
    return None if recipe is None else dict(recipe.values)
