"""`cifar_resnet_<D>[_<W>]`: the CIFAR ResNet of He et al. (2016, section 4.2) as in OpenLTH: D = 6n + 2,
three stages of n basic blocks with W, 2W, 4W filters (W default 16); 1x1 conv + BN shortcuts where the shape changes."""
from __future__ import annotations

import re
import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.models import presets
from sparselab.models.base import InputShape, Model, ModelFamily, positive_int


class Block(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus shortcut, then ReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # in place: see models/README.md
        out = torch.relu_(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return out.add_(self.shortcut(x)).relu_()


class CifarResNet(Model):
    def __init__(self, blocks_per_stage: int, width: int, input_shape: InputShape, num_classes: int) -> None:
        super().__init__(input_shape, num_classes)
        self.conv = nn.Conv2d(input_shape[0], width, 3, stride=1, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        blocks: list[nn.Module] = []
        in_channels = width
        for stage in range(3):
            out_channels = width * 2**stage
            for index in range(blocks_per_stage):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(Block(in_channels, out_channels, stride))
                in_channels = out_channels
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(torch.relu_(self.bn(self.conv(x))))
        return self.fc(x.mean(dim=(2, 3)))


class CifarResNetFamily(ModelFamily):
    PATTERN = r"cifar_resnet_(\d+)(?:_(\d+))?"
    DISPLAY = "cifar_resnet_<D>[_<W>] (D = 6n+2: 8, 14, 20, 32, 44, 56, 110, ...)"
    MODEL = CifarResNet
    PRESET = presets.CIFAR10_RESNET

    def parse(self, name: str, match: re.Match[str]) -> tuple[int, int]:
        depth = int(match.group(1))
        if depth < 8 or (depth - 2) % 6:
            raise UsageError(f"model name {name!r}: depth {depth} is not 6n+2 with n >= 1 (e.g. 8, 14, 20, 32, 56, 110)")
        return (depth - 2) // 6, positive_int(match.group(2), "width", name, default=16)


FAMILY = CifarResNetFamily()
