"""A command: `name`, one-line `description`, `main(argv) -> exit status`; flag commands are train.command's
FlagCommand. main.py publishes the lazy command table (a module is imported when its command is looked up)."""
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
    """`target`: a Command class, a mapping name -> Command, or a function returning one."""

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
        return {name: e.description for name, e in self.entries.items()}


_PUBLISHED: dict[str, Mapping[str, type[Command]]] = {}


def publish(table: Mapping[str, type[Command]]) -> None:
    _PUBLISHED["table"] = table


def published() -> dict[str, type[Command]]:
    """Every published command, loaded (report and evaluate need their flags)."""
    table = _PUBLISHED.get("table", {})
    return {name: table[name] for name in table}


def section_bundle(section: str) -> type | None:
    """The bundle class of an hparams.json section; an unknown one first imports every published command (bundles
    register their section on import)."""
    from sparselab.core.hparams import SECTIONS

    if section not in SECTIONS:
        published()
    return SECTIONS.get(section)
