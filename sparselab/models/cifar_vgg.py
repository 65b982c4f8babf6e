"""`cifar_vgg_<11|13|16|19>[_nobn]`: OpenLTH's CIFAR VGG (Simonyan & Zisserman 2015): conv3x3 (with bias)
+ BN + ReLU per plan entry, a 2x2 max-pool per `M`, global average pooling, `fc`. `_nobn`: no BatchNorm."""
from __future__ import annotations

import re

import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.models import presets
from sparselab.models.base import InputShape, Model, ModelFamily

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
                layers.append(nn.MaxPool2d(2, ceil_mode=True))  # = floor mode at 32x32; lets 8x8 inputs pass
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


class CifarVGGFamily(ModelFamily):
    PATTERN = r"cifar_vgg_(\d+)(_nobn)?"
    DISPLAY = "cifar_vgg_<11|13|16|19>[_nobn]"
    MODEL = CifarVGG
    PRESET = presets.CIFAR10_VGG

    def parse(self, name: str, match: re.Match[str]) -> tuple[list[PlanEntry], bool]:
        depth = int(match.group(1))
        if depth not in PLANS:
            raise UsageError(f"model name {name!r}: VGG depth {depth} is not one of {', '.join(map(str, PLANS))}")
        return PLANS[depth], match.group(2) is None


FAMILY = CifarVGGFamily()
