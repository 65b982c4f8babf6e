"""The four retraining policies of the iterative runner: where level L >= 1 starts and how it trains.

| command  | level L >= 1 starts from                    | schedule of level L                |
|----------|---------------------------------------------|------------------------------------|
| lottery  | the rewind point (init, or step k) masked   | training schedule from k           |
| rewindLR | level L-1's final weights masked            | full training schedule again       |
| finetune | level L-1's final weights masked            | --finetune_* schedule from 0       |
| scratch  | a fresh seeded initialisation masked        | full training schedule             |
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from sparselab.training.hparams import TrainingHparams

if TYPE_CHECKING:
    from sparselab.lottery.runner import IterativeRunner

StateDict = dict


@dataclass(frozen=True)
class RetrainingPolicy:
    name: str
    description: str
    start_weights: Callable[["IterativeRunner", int], StateDict]
    uses_rewinding: bool = False
    uses_finetuning: bool = False

    def training(self, trunk: "IterativeRunner", level: int) -> tuple[TrainingHparams, int]:
        """(training bundle, start iteration) of `level`."""
        if level >= 1 and self.uses_finetuning:
            return trunk.finetune_training(), 0
        return trunk.training, trunk.rewind_iteration()


def _rewind_point(trunk: "IterativeRunner", level: int) -> StateDict:
    return trunk.rewind_state()


def _previous_final(trunk: "IterativeRunner", level: int) -> StateDict:
    return trunk.final_state(level - 1)


def _fresh_init(trunk: "IterativeRunner", level: int) -> StateDict:
    return trunk.fresh_init_state(level)


POLICIES: dict[str, RetrainingPolicy] = {
    p.name: p
    for p in (
        RetrainingPolicy("lottery", "iterative pruning with weight rewinding (lottery tickets)",
                         _rewind_point, uses_rewinding=True),
        RetrainingPolicy("rewindLR", "iterative pruning with learning-rate rewinding",
                         _previous_final, uses_rewinding=True),
        RetrainingPolicy("finetune", "iterative pruning with fine-tuning at a small learning rate",
                         _previous_final, uses_finetuning=True),
        RetrainingPolicy("scratch", "iterative pruning, each level retrained from a new initialisation",
                         _fresh_init),
    )
}
