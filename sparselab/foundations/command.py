"""The one protocol of every entry point of main.py, and the table of commands main.py publishes.

A command has a `name`, a one-line `description` and `main(argv) -> exit status`. Commands built from
hyperparameter flags (`train`, `lottery`, ...) are `training.command.FlagCommand`s: they add their flags,
build a runner from the parsed flags, know the runner's output folder and run it; `report <command>
<flags>` reads the table below (filled by main.py) instead of importing the runners.
"""
from __future__ import annotations

from typing import ClassVar, Mapping, Sequence


class Command:
    name: ClassVar[str]
    description: ClassVar[str]
    reportable: ClassVar[bool] = False  # `report <name> <flags>` can find its runs (a FlagCommand)

    @classmethod
    def main(cls, argv: Sequence[str]) -> int:
        raise NotImplementedError


_PUBLISHED: dict[str, type[Command]] = {}


def publish(table: Mapping[str, type[Command]]) -> None:
    """main.py's command table, for commands that act on other commands' runs."""
    _PUBLISHED.clear()
    _PUBLISHED.update(table)


def published() -> dict[str, type[Command]]:
    return dict(_PUBLISHED)
