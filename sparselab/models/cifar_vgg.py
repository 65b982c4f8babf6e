"""`cifar_vgg_<11|13|16|19>[_nobn]`: VGG for CIFAR (Simonyan & Zisserman 2015; OpenLTH's variant).

Per plan entry: conv3x3 (with bias) + BN + ReLU, or a 2x2 max-pool for `M`; then global average
pooling and `fc` (512 -> classes). `_nobn` drops the BatchNorm layers. The max-pools use ceil mode,
which equals floor mode on the even sizes of 32x32 inputs and lets small inputs (8x8) pass the four
pools instead of shrinking to nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.models import presets
from sparselab.models.base import InputShape, Model, ModelFamily, Preset, with_name

PlanEntry = int | str
PLANS: dict[int, list[PlanEntry]] = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512],
}


class CifarVGG(Model):
    def __init__(self, plan: list[PlanEntry], batch_norm: bool, input_shape: InputShape, num_classes: int) -> None:
        super().__init__(input_shape, num_classes)
        layers: list[nn.Module] = []
        channels = input_shape[0]
        for entry in plan:
            if entry == "M":
                layers.append(nn.MaxPool2d(2, ceil_mode=True))
                continue
            assert isinstance(entry, int)
            layers.append(nn.Conv2d(channels, entry, 3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(entry))
            layers.append(nn.ReLU(inplace=True))  # see models/README.md
            channels = entry
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x).mean(dim=(2, 3)))


@dataclass(frozen=True)
class Spec:
    depth: int
    batch_norm: bool


class CifarVGGFamily(ModelFamily[Spec]):
    PATTERN = r"cifar_vgg_(\d+)(_nobn)?"
    DISPLAY = "cifar_vgg_<11|13|16|19>[_nobn]"

    def parse(self, name: str, match: re.Match[str]) -> Spec:
        depth = int(match.group(1))
        if depth not in PLANS:
            raise UsageError(f"model name {name!r}: VGG depth {depth} is not one of {', '.join(map(str, PLANS))}")
        return Spec(depth, match.group(2) is None)

    def construct(self, spec: Spec, input_shape: InputShape, num_classes: int) -> Model:
        return CifarVGG(PLANS[spec.depth], spec.batch_norm, input_shape, num_classes)

    def preset(self, name: str) -> Preset:
        return with_name(presets.CIFAR10_VGG, name)


FAMILY = CifarVGGFamily()
