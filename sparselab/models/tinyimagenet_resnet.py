"""`tinyimagenet_resnet_<D>[_<W>]`: `models.resnet.ResNet` with the CIFAR stem (3x3 conv, stride 1,
no max-pool) for 64x64 Tiny-ImageNet images, as in the Sparse Double Descent code."""
from __future__ import annotations

from sparselab.models import presets
from sparselab.models.resnet import ResNetFamily


class TinyImageNetResNetFamily(ResNetFamily):
    PREFIX = "tinyimagenet_resnet"
    STEM = "cifar"
    PRESET = presets.TINY_IMAGENET_RESNET


FAMILY = TinyImageNetResNetFamily()
