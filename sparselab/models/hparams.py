"""The model bundle: architecture, initialisers and the initialisation seed."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from sparselab.core.hparams import Hparams, hparam
from sparselab.core.registry import Names
from sparselab.core.when import When
from sparselab.models.initializers import BATCHNORM_INITIALIZERS, BIAS_INITIALIZERS, WEIGHT_INITIALIZERS


def model_name_help() -> str:
    from sparselab.models.registry import FAMILIES

    return f"model name pattern: {'; '.join(family.DISPLAY for family in FAMILIES)}"


def _has_batchnorm(name: object) -> bool:
    from sparselab.models import registry

    try:
        return registry.family_of(str(name)).BATCHNORM
    except Exception:  # an unknown name: the flag exists, and the name's own error comes first
        return True


# --batchnorm_init exists only with a model that has BatchNorm layers (not LeNet).
BATCHNORM = When(lambda get: _has_batchnorm(get("model_name")),
                 lambda get, p: f"a --{p}model_name with BatchNorm layers (not {get('model_name')})")
# --fused_eval exists only with a convolutional model (the families with BatchNorm: every one but LeNet).
CONVOLUTIONAL = When(lambda get: _has_batchnorm(get("model_name")),
                     lambda get, p: f"a convolutional --{p}model_name (not {get('model_name')})")


@dataclasses.dataclass(frozen=True)
class ModelHparams(Hparams):
    section: ClassVar[str] = "model"
    _group: ClassVar[str] = "Model"
    model_name: str = hparam("lenet_300_100", model_name_help)
    model_init: str = hparam("kaiming_normal", "weight initialiser", choices=Names(WEIGHT_INITIALIZERS))
    batchnorm_init: str = hparam("uniform", "BatchNorm initialiser",
                                 choices=Names(BATCHNORM_INITIALIZERS), only_with=BATCHNORM)
    bias_init: str = hparam("pytorch", "bias initialiser of Conv2d/Linear: pytorch = PyTorch's default "
                            "U(+-1/sqrt(fan_in)) drawn at construction (OpenLTH, SDD, Random_Pruning), zeros = "
                            "all zero (sparselab before 2026-12)", choices=Names(BIAS_INITIALIZERS),
                            hash_baseline="zeros", absent="zeros")
    init_seed: int | None = hparam(None, "seed of the initialisation (default: derived from the replicate)")

    def validate(self) -> None:
        from sparselab.models import registry

        registry.family_of(self.model_name).validate(self.model_name)
