"""Forward shapes, channels_last, tiny inputs, gradient flow and tensor names of every family."""
import pytest
import torch

from sparselab.models import registry

SMALL_MODELS = [
    ("lenet_16_8", (1, 8, 8), 10),
    ("mnist_lenet_20", (3, 4, 4), 5),
    ("cifar_resnet_8_4", (1, 8, 8), 10),
    ("cifar_resnet_20", (1, 8, 8), 10),
    ("cifar_vgg_11", (3, 8, 8), 10),
    ("cifar_vgg_11_nobn", (1, 8, 8), 7),
    ("cifar_pytorch_resnet_18_4", (3, 8, 8), 100),
    ("cifar_pytorch_resnet_50_4", (3, 8, 8), 10),
    ("wide_resnet_10_1", (3, 8, 8), 10),
    ("wide_resnet_16_2", (1, 8, 8), 10),
    ("tinyimagenet_resnet_18_4", (3, 16, 16), 200),
    ("imagenet_resnet_18_4", (3, 32, 32), 1000),
    ("imagenet_resnet_50_4", (3, 8, 8), 10),
]


@pytest.mark.parametrize("name, input_shape, num_classes", SMALL_MODELS)
def test_forward_backward_and_channels_last(name, input_shape, num_classes):
    model = registry.build(name, input_shape, num_classes, seed=1)
    assert model.model_name == name
    assert model.input_shape == input_shape and model.num_classes == num_classes
    x = torch.randn(4, *input_shape, generator=torch.Generator().manual_seed(0))

    out = model(x)
    assert out.shape == (4, num_classes)
    out.square().sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"parameters without gradient: {missing}"

    model.eval()
    with torch.no_grad():
        reference = model(x)
        model.to(memory_format=torch.channels_last)
        fast = model(x.to(memory_format=torch.channels_last))
    torch.testing.assert_close(fast, reference, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, input_shape, num_classes", SMALL_MODELS)
def test_prunable_names_are_conv_and_linear_weights_in_module_order(name, input_shape, num_classes):
    model = registry.build(name, input_shape, num_classes)
    expected = [
        f"{n}.weight" for n, m in model.named_modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))
    ]
    params = dict(model.named_parameters())
    assert model.prunable_layer_names == expected
    assert all(n in params for n in model.prunable_layer_names)
    assert model.prunable_layer_names[-1] == "fc.weight"
    assert model.output_layer_names == ["fc.weight", "fc.bias"]


def test_lenet_names():
    model = registry.build("mnist_lenet_300_100", (1, 28, 28), 10)
    assert model.prunable_layer_names == ["fc_layers.0.weight", "fc_layers.1.weight", "fc.weight"]
    assert model.fc_layers[0].in_features == 784


def test_cifar_resnet_names_include_shortcut_convs():
    model = registry.build("cifar_resnet_8_4", (3, 32, 32), 10)
    assert model.prunable_layer_names == [
        "conv.weight",
        "blocks.0.conv1.weight",
        "blocks.0.conv2.weight",
        "blocks.1.conv1.weight",
        "blocks.1.conv2.weight",
        "blocks.1.shortcut.0.weight",
        "blocks.2.conv1.weight",
        "blocks.2.conv2.weight",
        "blocks.2.shortcut.0.weight",
        "fc.weight",
    ]


def test_imagenet_resnet_uses_torchvision_tensor_names():
    model = registry.build("imagenet_resnet_50_4", (3, 32, 32), 10)
    keys = set(model.state_dict())
    for key in ["conv1.weight", "bn1.running_mean", "layer1.0.conv3.weight", "layer1.0.downsample.0.weight",
                "layer4.2.bn3.weight", "fc.bias"]:
        assert key in keys
    assert model.conv1.kernel_size == (7, 7) and isinstance(model.maxpool, torch.nn.MaxPool2d)


def test_cifar_style_resnets_keep_full_resolution_in_the_stem():
    for name in ["cifar_pytorch_resnet_18_4", "tinyimagenet_resnet_18_4"]:
        model = registry.build(name, (3, 32, 32), 10)
        assert model.conv1.kernel_size == (3, 3) and model.conv1.stride == (1, 1)
        assert isinstance(model.maxpool, torch.nn.Identity)


def test_bottleneck_strides_on_the_3x3_conv():
    model = registry.build("imagenet_resnet_50_4", (3, 32, 32), 10)
    block = model.layer2[0]
    assert block.conv1.stride == (1, 1) and block.conv2.stride == (2, 2)


def test_wide_resnet50_2_doubles_bottleneck_width_only():
    with torch.device("meta"):
        wide = registry.family_of("wide_resnet50_2").build("wide_resnet50_2", (3, 224, 224), 1000)
    assert wide.layer1[0].conv1.out_channels == 128
    assert wide.layer1[0].conv3.out_channels == 256
    assert wide.fc.in_features == 2048


def test_vgg_plan_has_four_pools_and_512_features():
    model = registry.build("cifar_vgg_16", (3, 32, 32), 10)
    pools = [m for m in model.features if isinstance(m, torch.nn.MaxPool2d)]
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    assert len(pools) == 4 and len(convs) == 13
    assert all(c.bias is not None for c in convs)
    assert model.fc.in_features == 512
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in registry.build("cifar_vgg_16_nobn", (3, 32, 32), 10).modules())


def test_wide_resnet_is_preactivation_with_bare_conv_shortcut():
    model = registry.build("wide_resnet_16_2", (3, 32, 32), 10)
    first = model.stages[0][0]
    assert isinstance(first.shortcut, torch.nn.Conv2d)  # 16 -> 32 channels
    assert model.stages[0][1].shortcut is None
    assert [s[0].conv1.out_channels for s in model.stages] == [32, 64, 128]
    assert isinstance(model.bn, torch.nn.BatchNorm2d) and model.bn.num_features == 128
