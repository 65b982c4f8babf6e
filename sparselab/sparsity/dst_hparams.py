"""Dynamic sparse training (SET, RigL, SNFS, GraNet): the bundle. Every default is a no-op."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from sparselab.core.hparams import Hparams, hparam, require
from sparselab.core.registry import Names
from sparselab.core.step import validate_step_string
from sparselab.core.when import given, one_of
from sparselab.sparsity.dst.methods import DST_METHODS, help_text

METHODS = Names(DST_METHODS)  # --dst: the registry's names, read when used
DROP_SCHEDULES = ("cosine", "constant", "linear")
# Every flag but --dst exists only with a method; gradual pruning's and random growth's only with theirs.
ON = given("dst")
PRUNING = (ON, one_of("dst", lambda: [n for n, m in DST_METHODS.items() if m.prunes]))
SEEDED = (ON, one_of("dst", lambda: [n for n, m in DST_METHODS.items() if m.seeded]))


@dataclasses.dataclass(frozen=True)
class DSTHparams(Hparams):
    section: ClassVar[str] = "dst"
    _group: ClassVar[str] = "Dynamic sparse training"
    dst: str | None = hparam(None, help_text, choices=METHODS)
    dst_update_frequency: int = hparam(100, "iterations between two topology updates", only_with=ON)
    dst_drop_fraction: float = hparam(0.3, "fraction of each layer's active weights dropped (and regrown) at the "
                                           "first update (RigL: 0.3, FreeTickets: 0.5)", only_with=ON)
    dst_drop_schedule: str = hparam("cosine", "decay of the drop fraction to 0 at --dst_end",
                                    choices=DROP_SCHEDULES, only_with=ON)
    dst_end: str | None = hparam(None, "last step with topology updates (default: 75 % of training)",
                                 step="one", only_with=ON)
    dst_redistribute: bool = hparam(False, "regrow the dropped weights over the whole network by the growth score "
                                           "instead of inside each layer (per-layer counts may change)", only_with=ON)
    dst_init_density: float | None = hparam(None, "granet: density at --dst_prune_start "
                                                  "(default: the density of the starting mask)", only_with=PRUNING)
    dst_final_density: float | None = hparam(None, "granet: density reached at --dst_prune_end", only_with=PRUNING)
    dst_prune_start: str = hparam("0ep", "granet: first step of gradual pruning", step="one", only_with=PRUNING)
    dst_prune_end: str | None = hparam(None, "granet: step where the final density is reached (default: --dst_end)",
                                        step="one", only_with=PRUNING)
    dst_seed: int | None = hparam(None, "seed of random growth (default: derived from the replicate)", only_with=SEEDED)

    def validate(self) -> None:
        require(self.dst_update_frequency <= 10**9, f"--dst_update_frequency must be at most 10^9, got "
                f"{self.dst_update_frequency}")
        require(self.dst_update_frequency >= 1,
                f"--dst_update_frequency must be >= 1 iteration, got {self.dst_update_frequency}")
        require(0 < self.dst_drop_fraction < 1, f"--dst_drop_fraction must be in (0, 1), got {self.dst_drop_fraction}")
        for flag, step in (("--dst_end", self.dst_end), ("--dst_prune_start", self.dst_prune_start),
                           ("--dst_prune_end", self.dst_prune_end)):
            if step is not None:
                validate_step_string(step, flag)
        for flag, value in (("--dst_init_density", self.dst_init_density),
                            ("--dst_final_density", self.dst_final_density)):
            if value is not None:
                require(0 < value <= 1, f"{flag} must be in (0, 1], got {value}")
        if self.prunes:
            require(self.dst_final_density is not None, f"--dst={self.dst} needs --dst_final_density")
            if self.dst_init_density is not None:
                require(self.dst_final_density < self.dst_init_density,
                        f"--dst_final_density ({self.dst_final_density}) must be below --dst_init_density "
                        f"({self.dst_init_density})")

    @property
    def enabled(self) -> bool:
        return self.dst is not None

    @property
    def prunes(self) -> bool:
        """Whether the method lowers the density during training (GraNet), so it may start dense."""
        return self.dst is not None and DST_METHODS[self.dst].prunes
