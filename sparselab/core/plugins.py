"""`--plugins=my_models.py,my_pkg.scores`: modules imported before the command, and passed on (`flags()`) to every
process a run starts. A file is imported as `sparselab_plugin_<stem>`, so its `__main__` block does not run again."""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Sequence

from sparselab.core.errors import UsageError

FLAG = "--plugins"
PREFIX = "sparselab_plugin_"
LOADED: list[str] = []  # what the child processes import: resolved .py paths or module names


def _spec_name(spec: str) -> str:
    return str(Path(spec).expanduser().resolve()) if spec.endswith(".py") else spec


def remember(spec: str) -> None:
    spec = _spec_name(spec)
    if spec not in LOADED:
        LOADED.append(spec)


def load(spec: str) -> None:
    """Import one plugin once per process; UsageError when it is missing or fails."""
    spec = _spec_name(spec)
    if spec in LOADED:
        return
    try:
        if spec.endswith(".py"):
            path = Path(spec)
            if not path.is_file():
                raise UsageError(f"{FLAG} {spec}: no such file")
            name = PREFIX + path.stem
            module_spec = importlib.util.spec_from_file_location(name, path)
            assert module_spec is not None and module_spec.loader is not None
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            remember(spec)  # before it runs: its register_* calls record the same file
            module_spec.loader.exec_module(module)
        else:
            remember(spec)
            importlib.import_module(spec)
    except UsageError:
        raise
    except Exception as e:  # the user's module failed: name it, one line
        if spec in LOADED:
            LOADED.remove(spec)
        raise UsageError(f"{FLAG} {spec}: importing it failed: {type(e).__name__}: {e}") from None


def load_from_argv(argv: Sequence[str]) -> list[str]:
    """Import every `--plugins=A,B` (or `--plugins A,B`); the command line without them."""
    rest, items, i = [], list(argv), 0
    while i < len(items):
        item = items[i]
        if item == FLAG or item.startswith(FLAG + "="):
            if item == FLAG:
                if i + 1 >= len(items):
                    raise UsageError(f"{FLAG}: give a module or .py file (comma-separated for several)")
                value, i = items[i + 1], i + 2
            else:
                value, i = item.split("=", 1)[1], i + 1
            for spec in (s.strip() for s in value.split(",")):
                if spec:
                    load(spec)
            continue
        rest.append(item)
        i += 1
    return rest


def flags() -> list[str]:
    return [f"{FLAG}={','.join(LOADED)}"] if LOADED else []
