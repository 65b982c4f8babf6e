"""Three-stage CIFAR ResNets. `cifar_resnet_<D>[_<W>]`: He et al. (2016, section 4.2) as in OpenLTH, D = 6n + 2,
n basic blocks of W, 2W, 4W filters (W default 16) per stage. `wide_resnet_<D>_<K>`: Zagoruyko & Komodakis (2016)
without dropout, D = 6n + 4, n pre-activation blocks of 16K, 32K, 64K filters; 1x1 shortcuts (no BN) of the activated
input."""
from __future__ import annotations

import re

import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.models import presets
from sparselab.models.base import InputShape, Model, ModelFamily, positive_int, stages


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
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # in place: see models/README.md
        out = torch.relu_(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return out.add_(self.shortcut(x)).relu_()


class CifarResNet(Model):
    def __init__(self, blocks_per_stage: int, width: int, input_shape: InputShape, num_classes: int) -> None:
        super().__init__(input_shape, num_classes)
        self.conv = nn.Conv2d(input_shape[0], width, 3, stride=1, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        body, in_channels = stages(Block, width, [width, 2 * width, 4 * width], [blocks_per_stage] * 3)
        self.blocks = nn.Sequential(*(block for stage in body for block in stage))
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(torch.relu_(self.bn(self.conv(x))))
        return self.fc(x.mean(dim=(2, 3)))


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
        body, in_channels = stages(PreActBlock, 16, [16 * widen, 32 * widen, 64 * widen], [blocks_per_stage] * 3)
        self.stages = nn.Sequential(*body)
        self.bn = nn.BatchNorm2d(in_channels)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu_(self.bn(self.stages(self.conv(x))))
        return self.fc(x.mean(dim=(2, 3)))


class CifarResNetFamily(ModelFamily):
    PATTERN = r"cifar_resnet_(\d+)(?:_(\d+))?"
    DISPLAY = "cifar_resnet_<D>[_<W>] (D = 6n+2: 8, 14, 20, 32, 44, 56, 110, ...)"
    MODEL = CifarResNet
    PRESET = presets.CIFAR10_RESNET

    def parse(self, name: str, match: re.Match[str]) -> tuple[int, int]:
        depth = int(match.group(1))
        if depth < 8 or (depth - 2) % 6:
            raise UsageError(f"model name {name!r}: depth {depth} is not 6n+2 with n >= 1 "
                             "(e.g. 8, 14, 20, 32, 56, 110)")
        return (depth - 2) // 6, positive_int(match.group(2), "width", name, default=16)


FAMILY = CifarResNetFamily()


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


WIDE_FAMILY = WideResNetFamily()
