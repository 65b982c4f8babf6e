"""The model bundle: architecture, initialisers and the initialisation seed."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from sparselab.foundations.hparams import Hparams, hparam


@dataclasses.dataclass(frozen=True)
class ModelHparams(Hparams):
    section: ClassVar[str] = "model"
    _group: ClassVar[str] = "Model"
    model_name: str = hparam("lenet_300_100", "model name pattern (lenet_300_100, cifar_resnet_20, cifar_vgg_16, ...)")
    model_init: str = hparam("kaiming_normal", "weight initialiser",
                             choices=("kaiming_normal", "kaiming_uniform", "orthogonal", "binary"))
    batchnorm_init: str = hparam("uniform", "BatchNorm initialiser",
                                 choices=("uniform", "fixed", "oneone", "positivenegative"))
    init_seed: int | None = hparam(None, "seed of the initialisation (default: derived from the replicate)")

    def validate(self) -> None:
        from sparselab.models import registry

        registry.family_of(self.model_name).validate(self.model_name)
