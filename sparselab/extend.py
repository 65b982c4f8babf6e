"""`register_model`, `register_dataset`, `register_score`: one entry in the package's own registry, so the name is
validated, listed and built like a built-in. The calling module is imported again by every process the run starts
(core/plugins.py): it must do no work at import time outside `if __name__ == "__main__":`."""
from __future__ import annotations

import inspect
import re
import sys
import types
from typing import Any, Callable

from sparselab.core import plugins
from sparselab.core.errors import UsageError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise UsageError(f"register_{what}: name {name!r} must be lower-case letters, digits and _")


def _remember_caller(obj: Any) -> None:
    """Carry the module that defines `obj` (a script's file, else its name) to the workers."""
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    if module is None:
        return plugins.remember(inspect.stack()[2].filename)
    name = module.__name__
    path = getattr(module, "__file__", None)
    if name == "__main__" or name.startswith(plugins.PREFIX):
        if path:  # a notebook's __main__ has no file: nothing a worker could import
            plugins.remember(path)
    elif not name.startswith("sparselab."):
        plugins.remember(name)


def register_model(name: str, builder: Callable[..., Any]) -> None:
    """`--model_name=<name>` builds `builder(input_shape, num_classes)`, a `sparselab.models.base.Model`."""
    from sparselab.models import registry
    from sparselab.models.user import UserFamily

    _check_name(name, "model")
    for family in registry.FAMILIES:
        if family.matches(name) and not (isinstance(family, UserFamily) and family.name == name):
            raise UsageError(f"register_model: {name!r} is already a model name ({family.DISPLAY})")
    registry.FAMILIES[:] = [f for f in registry.FAMILIES if not (isinstance(f, UserFamily) and f.name == name)]
    registry.FAMILIES.append(UserFamily(name, builder))
    _remember_caller(builder)


def register_dataset(source: Any) -> None:
    """`--dataset_name=<source.name>` loads `source` (a `sparselab.data.base.DatasetSource`)."""
    from sparselab.data import registry
    from sparselab.data.base import DatasetSource

    if not isinstance(source, DatasetSource):
        raise UsageError("register_dataset: give a sparselab.data.base.DatasetSource")
    _check_name(source.name, "dataset")
    if source.name in {s.name for s in registry._SOURCES}:
        raise UsageError(f"register_dataset: {source.name!r} is a built-in dataset")
    registry.REGISTRY[source.name] = source
    _remember_caller(source.load)


def register_score(name: str, score: Callable[..., Any], description: str = "a user score",
                   data: str = "none", seeded: bool = True) -> None:
    """`--pruning_strategy=<name>`: `score(model, mask, context) -> {tensor: scores}` (higher = kept)."""
    from sparselab.sparsity.scores import SCORE_MODULES

    _check_name(name, "score")
    if name in SCORE_MODULES and not getattr(SCORE_MODULES[name], "user", False):
        raise UsageError(f"register_score: {name!r} is a built-in score")
    if data not in ("none", "batches", "per_class"):
        raise UsageError(f"register_score: data={data!r}; choose from none, batches, per_class")
    module = types.ModuleType(f"{plugins.PREFIX}score_{name}")
    module.score, module.description, module.data, module.seeded = score, description, data, seeded
    module.user = True
    SCORE_MODULES[name] = module
    _remember_caller(score)
