"""A read-only store of finished levels: the weights, masks and results of a trunk or of a `train` run.

Policies, branches and the level table read finished jobs only through a `LevelStore`; every read is
verified against the job's `done.json` (`foundations.io.load_torch`, `foundations.integrity`) and the
store never writes. File and directory names come from `foundations/layout.py`.

A `train` run is a one-level trunk: its one job (`replicate_<R>/main/`) is what every level reads, so
that `train_branch ... --levels=L` (the branch's own level L) finds the dense run's files.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from sparselab.foundations import integrity
from sparselab.foundations import io as fio
from sparselab.foundations import layout
from sparselab.foundations.errors import UsageError
from sparselab.pruning.dst.build import load_final_mask
from sparselab.pruning.mask import Mask
from sparselab.training import job


@dataclass(frozen=True)
class LevelStore:
    """`root`: a trunk's replicate folder (`<command>_<hash>/replicate_<R>`) or a `train` run's."""

    root: Path
    command: str  # the command that creates the levels, named by the missing-level error
    train_run: bool = False  # a `train` run: one job, level 0 only

    @classmethod
    def of_train_run(cls, replicate: Path) -> "LevelStore":
        return cls(Path(replicate), "train", train_run=True)

    def directory(self, level: int) -> Path:
        """The job directory of `level` (of a train run: its one job, whatever the level)."""
        return layout.train_dir(self.root) if self.train_run else layout.level_dir(self.root, level)

    def pretrain_directory(self) -> Path:
        return layout.pretrain_dir(self.root)

    def done(self, level: int) -> bool:
        return job.is_done(self.directory(level))

    def require(self, level: int) -> None:
        """One `error:` line naming the command that creates a missing level, or the damaged file of a
        finished one (a level with any file that fails its digest is used by nothing)."""
        if self.done(level):
            integrity.check_job(self.directory(level), note=False)
            return
        if self.train_run:
            raise UsageError(f"the train run {self.directory(level)} is missing; create it with: "
                             "python main.py train <the same flags> (or add --create_parents)")
        raise UsageError(f"level {level} of {self.root} is missing; create it with: "
                         f"python main.py {self.command} <same flags> --levels={level}")

    def metrics(self, level: int) -> dict[str, Any]:
        """The level's `done.json` result (checked against its own digest)."""
        self.require(level)
        return job.read_done(self.directory(level))

    def start_weights(self, level: int) -> dict[str, torch.Tensor]:
        """The (masked) weights `level` started training from."""
        self.require(level)
        return fio.load_torch(self.directory(level) / layout.WEIGHTS_START)

    def final_weights(self, level: int) -> dict[str, torch.Tensor]:
        self.require(level)
        return fio.load_torch(self.directory(level) / layout.WEIGHTS_FINAL)

    def start_mask(self, level: int) -> Mask | None:
        """`mask.pt`: the mask `level` started with (None: a dense train run has none)."""
        self.require(level)
        directory = self.directory(level)
        if self.train_run and not Mask.exists(directory):
            return None
        return Mask.load(directory)

    def mask(self, level: int) -> Mask | None:
        """The mask `level` ended with: `mask_final.pt` where dynamic sparse training moved it, else its
        start mask (None: a dense train run)."""
        self.require(level)
        final = load_final_mask(self.directory(level))
        return final if final is not None else self.start_mask(level)

    def used_final(self, level: int) -> None:
        """`level`'s final weights and mask were used from memory (kept since they were trained): they are
        parents of the job being computed all the same (`foundations.integrity.note_parent`)."""
        directory = self.directory(level)
        for name in (layout.WEIGHTS_FINAL, layout.FINAL_MASK, layout.MASK):
            if (directory / name).exists():
                integrity.note_parent(directory / name)
                if name != layout.WEIGHTS_FINAL:
                    break  # the final mask is mask_final.pt where it exists, else mask.pt

    def used_rewind_point(self, pretrained: bool) -> None:
        """The rewind point was used from memory: its file is a parent of the job being computed."""
        directory = self.pretrain_directory() if pretrained else self.directory(0)
        integrity.note_parent(directory / (layout.WEIGHTS_FINAL if pretrained else layout.WEIGHTS_START))

    def pretrain_weights(self) -> dict[str, torch.Tensor]:
        """The dense pretraining's final weights (the rewind point under --rewinding_steps)."""
        directory = self.pretrain_directory()
        if not job.is_done(directory):
            raise UsageError(f"the pretraining {directory} is missing; create it with: "
                             f"python main.py {self.command} <same flags>")
        integrity.check_job(directory, note=False)
        return fio.load_torch(directory / layout.WEIGHTS_FINAL)
