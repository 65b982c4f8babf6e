"""What a branch is: a named ablation with its own bundle that runs once per level of a trunk.

A branch reads its trunk's files through the trunk's read-only store (`trunk.store`, `store/levels.py`)
and writes under `<trunk level dir>/branch_<name>_<hash>/`, where the hash covers only the branch's own bundles: the
trunk is identified by the directory the branch lives in.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Mapping

from sparselab.core.hparams import Hparams
from sparselab.experiments.lottery.trunk import Trunk


@dataclass
class BranchContext:
    trunk: Trunk  # a lottery trunk or a `train` run (experiments/branches/dense_trunk.py)
    hparams: Mapping[str, Hparams]  # the branch's bundles by name
    level: int
    directory: Path


class Branch:
    """Subclasses set `name`, `description`, `bundle` and implement `run_level`."""

    name: ClassVar[str]
    description: ClassVar[str]
    bundle: ClassVar[type[Hparams]]
    on_dense_trunk: ClassVar[bool] = False  # also a branch of a dense `train` run (`train_branch <name>`)

    @classmethod
    def add_args(cls, parser: argparse.ArgumentParser, trunk_preset: dict[str, Any]) -> None:
        cls.bundle.add_args(parser, title=f"Branch {cls.name}")

    @classmethod
    def bundles_from_args(cls, args: argparse.Namespace, trunk: Trunk) -> dict[str, Hparams]:
        return {"branch": cls.bundle.from_args(args)}

    @classmethod
    def validate(cls, trunk: Trunk, hparams: Mapping[str, Hparams]) -> None:
        """Checks that need the prepared trunk (model names, data); raise UsageError."""

    @classmethod
    def run_level(cls, ctx: BranchContext) -> dict[str, Any]:
        raise NotImplementedError
