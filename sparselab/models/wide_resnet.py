"""`wide_resnet_<D>_<K>`: Wide ResNet for CIFAR (Zagoruyko & Komodakis 2016), no dropout: D = 6n + 4, three
stages of n pre-activation blocks with 16K, 32K, 64K filters; where the shape changes the shortcut is a 1x1 conv
(no BN) of the block's pre-activated input."""
from __future__ import annotations

import re
import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.models import presets
from sparselab.models.base import InputShape, Model, ModelFamily, positive_int


class PreActBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.shortcut: nn.Module | None = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        activated = torch.relu_(self.bn1(x))  # in place: see models/README.md
        out = self.conv1(activated)
        out = self.conv2(torch.relu_(self.bn2(out)))
        return out + (x if self.shortcut is None else self.shortcut(activated))


class WideResNet(Model):
    def __init__(self, blocks_per_stage: int, widen: int, input_shape: InputShape, num_classes: int) -> None:
        super().__init__(input_shape, num_classes)
        self.conv = nn.Conv2d(input_shape[0], 16, 3, padding=1, bias=False)
        stages: list[nn.Module] = []
        in_channels = 16
        for stage in range(3):
            out_channels = 16 * widen * 2**stage
            blocks = []
            for index in range(blocks_per_stage):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(PreActBlock(in_channels, out_channels, stride))
                in_channels = out_channels
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.bn = nn.BatchNorm2d(in_channels)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu_(self.bn(self.stages(self.conv(x))))
        return self.fc(x.mean(dim=(2, 3)))


class WideResNetFamily(ModelFamily):
    PATTERN = r"wide_resnet_(\d+)_(\d+)"
    DISPLAY = "wide_resnet_<D>_<K> (D = 6n+4: 10, 16, 22, 28, 40, ...)"
    MODEL = WideResNet
    PRESET = presets.CIFAR10_WIDE_RESNET

    def parse(self, name: str, match: re.Match[str]) -> tuple[int, int]:
        depth = int(match.group(1))
        if depth < 10 or (depth - 4) % 6:
            raise UsageError(f"model name {name!r}: depth {depth} is not 6n+4 with n >= 1 (e.g. 10, 16, 28, 40)")
        return (depth - 4) // 6, positive_int(match.group(2), "widening factor", name)


FAMILY = WideResNetFamily()
