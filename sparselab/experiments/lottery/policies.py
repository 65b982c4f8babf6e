"""The four retraining policies of the iterative runner as plain data: where level L >= 1 starts (the rewind point,
level L-1's final weights or a fresh seeded initialisation, always masked by level L's mask) and on which schedule
(`standard`: the training schedule from the rewind step; `finetune`: --finetune_* from 0); see `starts.py`.
"""
from __future__ import annotations

from dataclasses import dataclass

REWIND, PREVIOUS_FINAL, FRESH_INIT = "rewind", "previous_final", "fresh_init"
STARTS = (REWIND, PREVIOUS_FINAL, FRESH_INIT)
STANDARD, FINETUNE = "standard", "finetune"


@dataclass(frozen=True)
class RetrainingPolicy:
    name: str
    description: str
    start: str  # one of STARTS
    schedule: str = STANDARD  # STANDARD or FINETUNE
    uses_rewinding: bool = False  # takes --rewinding_steps

    def __post_init__(self) -> None:
        assert self.start in STARTS and self.schedule in (STANDARD, FINETUNE), self

    @property
    def uses_finetuning(self) -> bool:
        return self.schedule == FINETUNE


POLICIES: dict[str, RetrainingPolicy] = {
    p.name: p
    for p in (
        RetrainingPolicy("lottery", "iterative pruning with weight rewinding (lottery tickets)", REWIND,
                         uses_rewinding=True),
        RetrainingPolicy("rewindLR", "iterative pruning with learning-rate rewinding", PREVIOUS_FINAL,
                         uses_rewinding=True),
        RetrainingPolicy("finetune", "iterative pruning with fine-tuning at a small learning rate", PREVIOUS_FINAL,
                         schedule=FINETUNE),
        RetrainingPolicy("scratch", "iterative pruning, each level retrained from a new initialisation",
                         FRESH_INIT),
    )
}
