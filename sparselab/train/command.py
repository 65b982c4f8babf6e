"""`FlagCommand`: a command built from hyperparameter flags (add flags, build from flags, output folder, run)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from sparselab.core.cli import OneLineParser, pre_read
from sparselab.core.command import Command

if TYPE_CHECKING:
    from sparselab.platforms.base import PlatformHparams


class Runner(Protocol):
    platform: PlatformHparams  # --root and the other platform flags: the results root is read from here

    def run(self) -> None: ...
    def experiment_folder(self, root: Path) -> Path: ...  # `<root>/<command>_<hash>`, all replicates


class FlagCommand(Command):
    reportable = True

    @classmethod
    def add_args(cls, parser: argparse.ArgumentParser, preset: dict[str, Any]) -> None:
        raise NotImplementedError

    @classmethod
    def from_args(cls, args: argparse.Namespace, preset: dict[str, Any]) -> Runner:
        raise NotImplementedError

    @classmethod
    def parse(cls, argv: Sequence[str], prog: str | None = None, description: str | None = None,
              more: Callable[[argparse.ArgumentParser], None] | None = None) -> tuple[Runner, argparse.Namespace]:
        """(runner, parsed flags); `more` adds the caller's flags (report's)."""
        args, preset = cls.parse_flags(argv, prog, description, more)
        return cls.from_args(args, preset), args

    @classmethod
    def parse_flags(cls, argv: Sequence[str], prog: str | None = None, description: str | None = None,
                    more: Callable[[argparse.ArgumentParser], None] | None = None
                    ) -> tuple[argparse.Namespace, dict[str, Any]]:
        from sparselab.train.presets import resolve_preset

        argv = list(argv)
        preset = resolve_preset(pre_read(argv, "default_hparams"))
        parser = OneLineParser(prog=prog or f"main.py {cls.name}", description=description or cls.description)
        cls.add_args(parser, preset)
        if more is not None:
            more(parser)
        return parser.parse_args(argv), preset

    @classmethod
    def main(cls, argv: Sequence[str]) -> int:
        runner, _ = cls.parse(argv)
        runner.run()
        return 0
