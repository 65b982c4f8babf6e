"""Bundles of the iterative runners: the rewind point and the fine-tuning schedule."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from sparselab.core.hparams import Hparams, hparam, require
from sparselab.core.when import nonempty
from sparselab.core.step import parse_step_list, validate_step_string
from sparselab.train.hparams import MAX_LR, check_schedule

MAX_LEVELS = 1000  # 0.8**1000 of the weights is none of them: more levels is a typo


@dataclasses.dataclass(frozen=True)
class RewindHparams(Hparams):
    section: ClassVar[str] = "rewind"
    _group: ClassVar[str] = "Rewinding"
    rewinding_steps: str = hparam("0ep", "rewind to this step of dense training (0ep = to initialisation)", step="one")

    def validate(self) -> None:
        validate_step_string(self.rewinding_steps, "--rewinding_steps")


@dataclasses.dataclass(frozen=True)
class FinetuneHparams(Hparams):
    section: ClassVar[str] = "finetune"
    _group: ClassVar[str] = "Fine-tuning"
    finetune_lr: float = hparam(0.001, "learning rate of the fine-tuning of levels >= 1")
    finetune_training_steps: str = hparam("10ep", "length of each fine-tuning phase", step="one")
    finetune_milestone_steps: str = hparam("", "milestones of the fine-tuning schedule (empty: constant lr)",
                                           step="list")
    finetune_gamma: float = hparam(0.1, "lr factor at each fine-tuning milestone",
                                   only_with=nonempty("finetune_milestone_steps"))
    finetune_warmup_steps: str = hparam("0ep", "warm-up of each fine-tuning phase", step="one")

    def validate(self) -> None:
        require(self.finetune_lr > 0, f"--finetune_lr must be positive, got {self.finetune_lr}")
        require(self.finetune_lr <= MAX_LR, f"--finetune_lr must be at most {MAX_LR:g}, got {self.finetune_lr}")
        require(0 < self.finetune_gamma <= 1, f"--finetune_gamma must be in (0, 1], got {self.finetune_gamma}")
        validate_step_string(self.finetune_training_steps, "--finetune_training_steps")
        validate_step_string(self.finetune_warmup_steps, "--finetune_warmup_steps")
        parse_step_list(self.finetune_milestone_steps, "--finetune_milestone_steps")

    def validate_steps(self, iterations_per_epoch: int) -> None:
        check_schedule(self.finetune_training_steps,
                       self.finetune_warmup_steps if self.given("finetune_warmup_steps") else None,
                       self.finetune_milestone_steps if self.given("finetune_milestone_steps") else None,
                       iterations_per_epoch, prefix="finetune_")


@dataclasses.dataclass(frozen=True)
class LevelsHparams(Hparams):
    """How many levels to run now: not hashed, rerunning with a larger N extends the experiment."""

    _group: ClassVar[str] = "Levels"
    levels: int = hparam(3, "run pruning levels 0..N", hashed=False)

    def validate(self) -> None:
        require(self.levels >= 0, f"--levels must be >= 0, got {self.levels}")
        require(self.levels <= MAX_LEVELS, f"--levels must be at most {MAX_LEVELS}, got {self.levels}")
