"""The four retraining policies of the iterative runner, as plain data: where level L >= 1 starts and
which schedule it trains with (interpreted by `experiments/lottery/starts.py`).

| command  | level L >= 1 starts from (`start`)                | schedule of level L (`schedule`)     |
|----------|---------------------------------------------------|--------------------------------------|
| lottery  | `rewind`: the rewind point (init, or step k)      | `standard`: training schedule from k |
| rewindLR | `previous_final`: level L-1's final weights       | `standard`                           |
| finetune | `previous_final`                                  | `finetune`: --finetune_* from 0      |
| scratch  | `fresh_init`: a fresh seeded initialisation       | `standard`                           |

Every start is masked by level L's mask.
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
