"""Parameter counts against the published / reference values.

Counting happens on the meta device (no memory, no initialisation), so even the 68 M-parameter
models cost nothing; one ResNet-50 is built for real through the registry.
"""
import pytest
import torch

from sparselab.models import registry

CIFAR = (3, 32, 32)
IMAGENET = (3, 224, 224)


def meta_count(name: str, input_shape, num_classes: int) -> int:
    with torch.device("meta"):
        model = registry.family_of(name).build(name, input_shape, num_classes)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    "name, input_shape, num_classes, expected",
    [
        ("mnist_lenet_300_100", (1, 28, 28), 10, 266_610),
        ("lenet_300_100", (1, 28, 28), 10, 266_610),
        ("lenet_500_500_500", (1, 28, 28), 10, 898_510),
        ("cifar_resnet_20", CIFAR, 10, 272_474),
        ("cifar_resnet_20_16", CIFAR, 10, 272_474),
        ("cifar_resnet_110", CIFAR, 10, 1_730_714),
        ("cifar_resnet_14_128", CIFAR, 10, 11_093_130),
        ("cifar_vgg_11", CIFAR, 10, 9_231_114),
        ("cifar_vgg_13", CIFAR, 10, 9_416_010),
        ("cifar_vgg_16", CIFAR, 10, 14_728_266),
        ("cifar_vgg_19", CIFAR, 10, 20_040_522),
        ("cifar_pytorch_resnet_18", CIFAR, 10, 11_173_962),
        ("imagenet_resnet_18", IMAGENET, 1000, 11_689_512),
        ("imagenet_resnet_50", IMAGENET, 1000, 25_557_032),
        ("wide_resnet50_2", IMAGENET, 1000, 68_883_240),
    ],
)
def test_exact_parameter_counts(name, input_shape, num_classes, expected):
    assert meta_count(name, input_shape, num_classes) == expected


def test_cifar_pytorch_resnet_18_with_100_classes():
    # 11,173,962 - 10 * 513 + 100 * 513
    assert meta_count("cifar_pytorch_resnet_18", CIFAR, 100) == 11_220_132


def test_wide_resnet_28_10_within_half_a_percent_of_36_48m():
    assert meta_count("wide_resnet_28_10", CIFAR, 10) == pytest.approx(36.48e6, rel=0.005)


def test_vgg_nobn_drops_only_batchnorm_parameters():
    with_bn = meta_count("cifar_vgg_16", CIFAR, 10)
    bn_params = 2 * (2 * 64 + 2 * 128 + 3 * 256 + 6 * 512)
    assert meta_count("cifar_vgg_16_nobn", CIFAR, 10) == with_bn - bn_params


def test_input_channels_and_size_come_from_input_shape():
    assert meta_count("lenet_300_100", (3, 32, 32), 10) == 266_610 + (3 * 32 * 32 - 784) * 300
    # a 1-channel stem has 16 * 9 * 2 fewer weights than the 3-channel one
    assert meta_count("cifar_resnet_20", (1, 32, 32), 10) == 272_474 - 2 * 16 * 9


def test_real_resnet50_build_through_registry():
    model = registry.build("imagenet_resnet_50", IMAGENET, 1000)
    assert sum(p.numel() for p in model.parameters()) == 25_557_032
    assert all(p.device.type == "cpu" for p in model.parameters())
