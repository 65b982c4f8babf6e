"""The finished levels of a trunk or of a `train` run (a one-level trunk: its one job `replicate_<R>/main/` is
every level), read verified through `store.job.FinishedJob`; a level is used only if all its files verify."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparselab.core import integrity, layout
from sparselab.core.errors import UsageError
from sparselab.sparsity.mask import Mask
from sparselab.store.job import FinishedJob, note_used
from sparselab.train.job import is_done

_VERIFIED: set[tuple[str, int, int]] = set()  # (level, done.json's mtime and size) hashed whole in this process


def _check_once(directory: Path) -> None:
    """`integrity.check_job` once per process and done.json (each tensor read is still verified as it is read)."""
    stat = (directory / layout.DONE).stat()
    key = (str(directory.absolute()), stat.st_mtime_ns, stat.st_size)
    if key not in _VERIFIED:
        integrity.check_job(directory, note=False)
        _VERIFIED.add(key)


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
        return is_done(self.directory(level))

    def require(self, level: int) -> None:
        """One `error:` line naming the command that creates a missing level, or the damaged file of a
        finished one (a level with any file that fails its digest is used by nothing)."""
        if self.done(level):
            _check_once(self.directory(level))
            return
        if self.train_run:
            raise UsageError(f"the train run {self.directory(level)} is missing; create it with: "
                             "python main.py train <the same flags> (or add --create_parents)")
        raise UsageError(f"level {level} of {self.root} is missing; create it with: "
                         f"python main.py {self.command} <same flags> --levels={level}")

    def job(self, level: int) -> FinishedJob:
        self.require(level)
        return FinishedJob(self.directory(level))

    def metrics(self, level: int) -> dict[str, Any]:
        """The level's `done.json` result (checked against its own digest)."""
        return self.job(level).result

    def start_weights(self, level: int) -> Any:
        """The (masked) weights `level` started training from."""
        return self.job(level).tensors(layout.WEIGHTS_START)

    def final_weights(self, level: int) -> Any:
        return self.job(level).tensors(layout.WEIGHTS_FINAL)

    def start_mask(self, level: int) -> Mask | None:
        """`mask.pt`: the mask `level` started with (None: a dense train run has none)."""
        job = self.job(level)
        return job.start_mask() if self.train_run else Mask.load(job.directory)

    def mask(self, level: int) -> Mask | None:
        """The mask `level` ended with: `mask_final.pt` where dynamic sparse training moved it, else its
        start mask (None: a dense train run)."""
        job = self.job(level)
        return job.final_mask() if job.has(layout.FINAL_MASK) else self.start_mask(level)

    def used_final(self, level: int) -> None:
        """`level`'s final weights and mask were used from memory: parents of the job being computed."""
        directory = self.directory(level)
        mask = next((n for n in (layout.FINAL_MASK, layout.MASK) if (directory / n).exists()), None)
        note_used(directory, [n for n in (layout.WEIGHTS_FINAL, mask) if n is not None])

    def used_rewind_point(self, pretrained: bool) -> None:
        """The rewind point was used from memory: its file is a parent of the job being computed."""
        directory = self.pretrain_directory() if pretrained else self.directory(0)
        note_used(directory, [layout.WEIGHTS_FINAL if pretrained else layout.WEIGHTS_START])

    def pretrain_weights(self) -> Any:
        """The dense pretraining's final weights (the rewind point under --rewinding_steps)."""
        directory = self.pretrain_directory()
        missing = (f"the pretraining {directory} is missing; create it with: "
                   f"python main.py {self.command} <same flags>")
        job = FinishedJob(directory, missing=missing)
        _check_once(directory)
        return job.tensors(layout.WEIGHTS_FINAL)
