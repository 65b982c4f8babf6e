"""`cifar_pytorch_resnet_<D>[_<W>]`: the common CIFAR ResNet (as in kuangliu/pytorch-cifar and the
Sparse Double Descent code): `models.resnet.ResNet` with the CIFAR stem (3x3 conv, stride 1, no
max-pool), stages of W, 2W, 4W, 8W planes (W default 64)."""
from __future__ import annotations

from sparselab.models import presets
from sparselab.models.resnet import ResNetFamily


class CifarPytorchResNetFamily(ResNetFamily):
    PREFIX = "cifar_pytorch_resnet"
    STEM = "cifar"
    PRESET = presets.CIFAR100_PYTORCH_RESNET


FAMILY = CifarPytorchResNetFamily()
