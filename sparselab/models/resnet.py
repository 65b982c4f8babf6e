"""torchvision's four-stage ResNets (He et al. 2016), with a CIFAR stem (3x3 conv, stride 1, no max-pool) or the
ImageNet stem: `cifar_pytorch_resnet` (kuangliu/pytorch-cifar, Sparse Double Descent), `tinyimagenet_resnet`
(SDD, 64x64 images), `imagenet_resnet` and `wide_resnet<50|101>_2`. Bottlenecks stride on the 3x3 conv (v1.5)."""
from __future__ import annotations

import re

import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.models import presets
from sparselab.models.base import InputShape, Model, ModelFamily, Preset, positive_int, stages


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_channels: int, planes: int, stride: int, width_factor: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = _shortcut(in_channels, planes, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu_(self.bn1(self.conv1(x)))  # in place: see models/README.md
        out = self.bn2(self.conv2(out))
        return out.add_(self.downsample(x)).relu_()


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int, width_factor: int = 1) -> None:
        super().__init__()
        inner = planes * width_factor
        out_channels = planes * self.expansion
        self.conv1 = nn.Conv2d(in_channels, inner, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(inner)
        self.conv2 = nn.Conv2d(inner, inner, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(inner)
        self.conv3 = nn.Conv2d(inner, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.downsample = _shortcut(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu_(self.bn1(self.conv1(x)))
        out = torch.relu_(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return out.add_(self.downsample(x)).relu_()


def _shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                         nn.BatchNorm2d(out_channels))


Block = type[BasicBlock] | type[Bottleneck]

DEPTHS: dict[int, tuple[Block, tuple[int, int, int, int]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
    200: (Bottleneck, (3, 24, 36, 3)),
}


STEMS: dict[str, tuple[int, int, bool]] = {"cifar": (3, 1, False), "imagenet": (7, 2, True)}  # kernel, stride, max-pool


class ResNet(Model):
    def __init__(self, depth: int, width: int, stem: str, width_factor: int, input_shape: InputShape,
                 num_classes: int) -> None:
        super().__init__(input_shape, num_classes)
        block, counts = DEPTHS[depth]
        kernel, stem_stride, max_pool = STEMS[stem]
        self.conv1 = nn.Conv2d(input_shape[0], width, kernel, stride=stem_stride, padding=kernel // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1) if max_pool else nn.Identity()
        body, in_channels = stages(block, width, [width * 2**stage for stage in range(4)], counts, width_factor,
                                   expansion=block.expansion)
        for stage, layer in enumerate(body):
            self.add_module(f"layer{stage + 1}", layer)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(torch.relu_(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean(dim=(2, 3)))


class ResNetFamily(ModelFamily):
    """`<prefix>_<D>[_<W>]` with D in `DEPTHS`, or the fixed `pattern` of depth and width factor (wide ResNets)."""

    MODEL = ResNet

    def __init__(self, prefix: str, stem: str, preset: Preset, pattern: str = "", display: str = "",
                 width_factor: int = 1) -> None:
        self.stem, self.width_factor, self.PRESET = stem, width_factor, preset  # type: ignore[misc]
        self.PATTERN = pattern or rf"{prefix}_(\d+)(?:_(\d+))?"  # type: ignore[misc]
        self.DISPLAY = display or f"{prefix}_<{'|'.join(map(str, DEPTHS))}>[_<W>]"  # type: ignore[misc]

    def parse(self, name: str, match: re.Match[str]) -> tuple[int, int, str, int]:
        depth = int(match.group(1))
        if depth not in DEPTHS:
            raise UsageError(f"model name {name!r}: ResNet depth {depth} is not one of {', '.join(map(str, DEPTHS))}")
        width = match.group(2) if match.re.groups > 1 else None
        return depth, positive_int(width, "width", name, default=64), self.stem, self.width_factor


CIFAR_PYTORCH = ResNetFamily("cifar_pytorch_resnet", "cifar", presets.CIFAR100_PYTORCH_RESNET)
TINY_IMAGENET = ResNetFamily("tinyimagenet_resnet", "cifar", presets.TINY_IMAGENET_RESNET)
IMAGENET = ResNetFamily("imagenet_resnet", "imagenet", presets.IMAGENET_RESNET)
WIDE_IMAGENET = ResNetFamily("", "imagenet", presets.IMAGENET_RESNET, r"wide_resnet(50|101)_2",
                             "wide_resnet<50|101>_2", width_factor=2)
