"""The four-stage ResNet body shared by `cifar_pytorch_resnet`, `tinyimagenet_resnet` and
`imagenet_resnet` (He et al. 2016; torchvision's layout and tensor names, written here).

Stages of BasicBlocks or Bottlenecks with W, 2W, 4W, 8W planes (W default 64) and strides 1, 2, 2, 2;
a Bottleneck strides on its 3x3 conv ("ResNet v1.5") and its inner width can be widened
(`wide_resnet50_2`). Shortcuts are the identity, or a 1x1 conv + BN (`downsample`) where the shape
changes. The stem is chosen by name from `STEMS`: a CIFAR stem (3x3 conv, stride 1, no max-pool) or
the ImageNet stem (7x7 conv stride 2, 3x3 max-pool stride 2). Global average pooling, then `fc`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.models.base import InputShape, Model, ModelFamily, Preset, positive_int, with_name


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
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
    )


Block = type[BasicBlock] | type[Bottleneck]

DEPTHS: dict[int, tuple[Block, tuple[int, int, int, int]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
    200: (Bottleneck, (3, 24, 36, 3)),
}


@dataclass(frozen=True)
class Stem:
    kernel: int
    stride: int
    max_pool: bool


STEMS: dict[str, Stem] = {
    "cifar": Stem(kernel=3, stride=1, max_pool=False),
    "imagenet": Stem(kernel=7, stride=2, max_pool=True),
}


class ResNet(Model):
    def __init__(
        self,
        depth: int,
        width: int,
        stem: str,
        input_shape: InputShape,
        num_classes: int,
        width_factor: int = 1,
    ) -> None:
        super().__init__(input_shape, num_classes)
        block, counts = DEPTHS[depth]
        spec = STEMS[stem]
        self.conv1 = nn.Conv2d(
            input_shape[0], width, spec.kernel, stride=spec.stride, padding=spec.kernel // 2, bias=False
        )
        self.bn1 = nn.BatchNorm2d(width)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1) if spec.max_pool else nn.Identity()
        in_channels = width
        for stage, count in enumerate(counts):
            planes = width * 2**stage
            blocks = []
            for index in range(count):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(block(in_channels, planes, stride, width_factor))
                in_channels = planes * block.expansion
            self.add_module(f"layer{stage + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(torch.relu_(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean(dim=(2, 3)))


@dataclass(frozen=True)
class Spec:
    depth: int
    width: int
    width_factor: int = 1


class ResNetFamily(ModelFamily[Spec]):
    """`<prefix>_<D>[_<W>]` with D in `DEPTHS`, built on the stem `STEM`."""

    PREFIX: str
    STEM: str
    PRESET: Preset

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "PREFIX" in cls.__dict__:  # derive the name pattern from the prefix
            cls.PATTERN = rf"{cls.PREFIX}_(\d+)(?:_(\d+))?"
            cls.DISPLAY = f"{cls.PREFIX}_<{'|'.join(map(str, DEPTHS))}>[_<W>]"

    def parse(self, name: str, match: re.Match[str]) -> Spec:
        depth = int(match.group(1))
        if depth not in DEPTHS:
            raise UsageError(f"model name {name!r}: ResNet depth {depth} is not one of {', '.join(map(str, DEPTHS))}")
        return Spec(depth, positive_int(match.group(2), "width", name, default=64))

    def construct(self, spec: Spec, input_shape: InputShape, num_classes: int) -> Model:
        return ResNet(spec.depth, spec.width, self.STEM, input_shape, num_classes, spec.width_factor)

    def preset(self, name: str) -> Preset:
        return with_name(self.PRESET, name)
