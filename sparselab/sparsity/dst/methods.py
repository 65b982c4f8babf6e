"""DST method registry: `--dst` name -> DSTMethod; choices, help and the hook's behaviour are read from it."""
from __future__ import annotations

import dataclasses

from sparselab.sparsity.dst import growth
from sparselab.sparsity.dst.growth import GrowthScore


@dataclasses.dataclass(frozen=True)
class DSTMethod:
    """`grow` scores the inactive positions; `description` is its `--dst` help line (what data growth sees)."""
    grow: GrowthScore
    description: str
    prunes: bool = False    # gradual global magnitude pruning to --dst_final_density (may start dense)
    momentum: bool = False  # the hook keeps a dense-gradient momentum for `grow` (GrowthInputs.momentum)
    seeded: bool = False    # `grow` draws random numbers: --dst_seed applies


DST_METHODS: dict[str, DSTMethod] = {
    "set": DSTMethod(growth.random_growth, "random growth (SET), seeded, sees no data", seeded=True),
    "rigl": DSTMethod(growth.gradient_growth, "gradient growth (RigL): |dL/dw| of the update step's batch"),
    "momentum": DSTMethod(growth.momentum_growth, "momentum growth (SNFS): |momentum of the dense gradient| "
                                                  "over every batch so far", momentum=True),
    "granet": DSTMethod(growth.gradient_growth, "gradual global magnitude pruning plus gradient growth (GraNet): "
                                                "|dL/dw| of the update step's batch", prunes=True),
}


def help_text() -> str:
    entries = "; ".join(f"{name}: {m.description}" for name, m in DST_METHODS.items())
    return f"move the mask during training: {entries}; default: the mask is fixed"
