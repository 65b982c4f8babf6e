"""User plugins: modules that register a model, dataset or score, carried to every process of a run.

`python main.py --plugins=my_models.py,my_pkg.scores train ...` imports each listed module (a `.py`
file by path, else a module name) before the command runs; `sparselab.register_model(...)` and its
siblings (sparselab/extend.py) record the module they are called from. Every process a run starts
(`--workers` job processes, `--print_path` checks, the SLURM task's command line) gets the same
`--plugins=` flag (`flags()`), so a user's model trains there too. A file is imported under its own
module name (`sparselab_plugin_<stem>`), so a script's `if __name__ == "__main__":` block does not
run again in the workers.
"""
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
    """Carry `spec` (a .py path or a module name) to the processes this one starts."""
    spec = _spec_name(spec)
    if spec not in LOADED:
        LOADED.append(spec)


def load(spec: str) -> None:
    """Import one plugin (once per process); UsageError when it is missing or fails to import."""
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
    """Import every `--plugins=A,B` (or `--plugins A,B`) of a command line; the line without them."""
    rest: list[str] = []
    items = list(argv)
    i = 0
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
    """The flag that makes a child process import this process's plugins ([] without plugins)."""
    return [f"{FLAG}={','.join(LOADED)}"] if LOADED else []
