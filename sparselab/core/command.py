"""The one protocol of every entry point of main.py, and the table of commands main.py publishes.

A command has a `name`, a one-line `description` and `main(argv) -> exit status`. Commands built from
hyperparameter flags (`train`, `lottery`, ...) are `training.command.FlagCommand`s: they add their flags,
build a runner from the parsed flags, know the runner's output folder and run it; `report <command>
<flags>` reads the table below (filled by main.py) instead of importing the runners.

The table is lazy: an `Entry` holds a command's name, its menu line and where it lives
(`"module:attribute"`), and its module is imported only when the command is looked up, so the bare
menu (`sparselab` alone) imports neither torch nor any command module.
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import ClassVar, Iterator, Mapping, Sequence


class Command:
    name: ClassVar[str]
    description: ClassVar[str]
    reportable: ClassVar[bool] = False  # `report <name> <flags>` can find its runs (a FlagCommand)

    @classmethod
    def main(cls, argv: Sequence[str]) -> int:
        raise NotImplementedError


@dataclass(frozen=True)
class Entry:
    """One command of the table. `target` names a Command class, a mapping name -> Command, or a
    function returning such a mapping (commands made per trunk or per policy)."""

    name: str
    description: str  # the menu line; the command's own `description` starts with it (tested)
    target: str  # "package.module:attribute"

    def load(self) -> type[Command]:
        module, _, attribute = self.target.partition(":")
        found = getattr(importlib.import_module(module), attribute)
        if inspect.isfunction(found):
            found = found()
        return found if isinstance(found, type) else found[self.name]


class CommandTable(Mapping[str, type[Command]]):
    """name -> Command over a sequence of entries; a command's module is imported at its first lookup."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = {e.name: e for e in entries}
        self._loaded: dict[str, type[Command]] = {}

    def __getitem__(self, name: str) -> type[Command]:
        if name not in self._loaded:
            self._loaded[name] = self.entries[name].load()
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def descriptions(self) -> dict[str, str]:
        """name -> menu line, without importing any command."""
        return {name: e.description for name, e in self.entries.items()}


_PUBLISHED: dict[str, Mapping[str, type[Command]]] = {}


def publish(table: Mapping[str, type[Command]]) -> None:
    """main.py's command table, for commands that act on other commands' runs."""
    _PUBLISHED["table"] = table


def published() -> dict[str, type[Command]]:
    """Every published command, loaded (report and evaluate need the runners' flags)."""
    table = _PUBLISHED.get("table", {})
    return {name: table[name] for name in table}


def section_bundle(section: str) -> type | None:
    """The bundle class of an hparams.json section. Bundles register their section when their module is
    imported, and the lazy table imports a command's modules only when it is chosen, so an unknown
    section first imports every published command (what `report` and `list` read records with)."""
    from sparselab.core.hparams import SECTIONS

    if section not in SECTIONS:
        published()
    return SECTIONS.get(section)
