"""`imagenet_resnet_<D>[_<W>]` and `wide_resnet<50|101>_2`: torchvision-equivalent ImageNet ResNets.

`models.resnet.ResNet` with the ImageNet stem (7x7 conv stride 2, 3x3 max-pool stride 2). The wide
variants (Zagoruyko & Komodakis) double the inner width of every Bottleneck.
"""
from __future__ import annotations

import re

from sparselab.models import presets
from sparselab.models.base import InputShape, Model, ModelFamily, Preset, with_name
from sparselab.models.resnet import ResNetFamily, Spec


class ImageNetResNetFamily(ResNetFamily):
    PREFIX = "imagenet_resnet"
    STEM = "imagenet"
    PRESET = presets.IMAGENET_RESNET


class WideImageNetResNetFamily(ModelFamily[Spec]):
    PATTERN = r"wide_resnet(50|101)_2"
    DISPLAY = "wide_resnet<50|101>_2"

    def parse(self, name: str, match: re.Match[str]) -> Spec:
        return Spec(depth=int(match.group(1)), width=64, width_factor=2)

    def construct(self, spec: Spec, input_shape: InputShape, num_classes: int) -> Model:
        return FAMILY.construct(spec, input_shape, num_classes)

    def preset(self, name: str) -> Preset:
        return with_name(presets.IMAGENET_RESNET, name)


FAMILY = ImageNetResNetFamily()
WIDE_FAMILY = WideImageNetResNetFamily()
