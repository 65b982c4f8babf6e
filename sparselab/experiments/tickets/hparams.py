"""The bundles of the `supermask` and `str` commands. Defaults are the published values (ER_SLT, STR)."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from sparselab.core.hparams import Hparams, hparam, require
from sparselab.sparsity.str_ import S_INIT


@dataclasses.dataclass(frozen=True)
class SupermaskHparams(Hparams):
    _group: ClassVar[str] = "Strong tickets (edge-popup in an ER mask)"
    supermask_density: float = hparam(0.2, "kept fraction of the counted weights at the last level (ER_SLT "
                                           "--sparsity, 0.2 in its sample runs); at most the ER density")
    supermask_start_density: float = hparam(0.6, "kept fraction the annealing starts from, before level 1 "
                                                 "(ER_SLT --sparsity_start); clipped to the ER density")
    levels: int = hparam(5, "levels of the annealing; each level trains the scores for --training_steps in "
                            "its own job level_<L>/main (ER_SLT --levels, 5 in its sample runs)")
    scale_fan: bool = hparam(False, "divide the frozen weights by sqrt(--supermask_density) (ER_SLT --scale-fan)")
    carry_optimizer: bool = hparam(False, "level L > 0 starts its optimiser from level L-1's final state "
                                          "(optimizer_final.pt: momentum buffers carried on, as ER_SLT's one "
                                          "optimiser does); the learning-rate schedule restarts each level either way")

    def validate(self) -> None:
        require(0 < self.supermask_density <= 1, f"--supermask_density must be in (0, 1], got {self.supermask_density}")
        require(0 < self.supermask_start_density <= 1,
                f"--supermask_start_density must be in (0, 1], got {self.supermask_start_density}")
        require(1 <= self.levels <= 1000, f"--levels must be in 1..1000, got {self.levels}")


@dataclasses.dataclass(frozen=True)
class STRHparams(Hparams):
    _group: ClassVar[str] = "STR (soft threshold reparameterisation)"
    str_s_init: float = hparam(S_INIT, "initial value of every layer's threshold parameter s (threshold = "
                                       "sigmoid(s); -200 as the sparse_to_sparse STR configs)")
    st_decay: float | None = hparam(None, "weight decay of the thresholds s (default: --weight_decay, as STR); "
                                          "added to their gradient, so sgd or adam only")

    def validate(self) -> None:
        require(-1e4 <= self.str_s_init <= 1e4, f"--str_s_init must be in [-10000, 10000], got {self.str_s_init}")
        if self.st_decay is not None:
            require(0 <= self.st_decay <= 10, f"--st_decay must be in [0, 10], got {self.st_decay}")
