"""Registry: determinism, RNG isolation, name validation, presets."""
import re

import pytest
import torch

from sparselab.core.errors import UsageError
from sparselab.models import initializers, registry

PRESET_KEYS = {
    "dataset_name", "batch_size", "model_name", "model_init", "batchnorm_init", "optimizer_name", "lr",
    "momentum", "nesterov", "weight_decay", "milestone_steps", "gamma", "warmup_steps", "training_steps",
    "pruning_strategy", "pruning_fraction", "pruning_layers_to_ignore", "finetune_lr", "finetune_training_steps",
}


def states_equal(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("model_init", list(initializers.WEIGHT_INITIALIZERS))
def test_same_seed_same_model_other_seed_other_model(model_init):
    build = lambda seed: registry.build("cifar_resnet_8_4", (3, 32, 32), 10, model_init=model_init, seed=seed)
    assert states_equal(build(3), build(3))
    assert not states_equal(build(3), build(4))


def test_build_ignores_and_preserves_the_global_rng():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    first = registry.build("lenet_32", (1, 8, 8), 10, seed=5)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(999)
    second = registry.build("lenet_32", (1, 8, 8), 10, seed=5)
    assert states_equal(first, second)


def test_default_width_is_the_same_model():
    assert states_equal(
        registry.build("cifar_resnet_8", (3, 32, 32), 10), registry.build("cifar_resnet_8_16", (3, 32, 32), 10)
    )


def test_mnist_alias_is_the_same_model():
    assert states_equal(registry.build("mnist_lenet_30_10", (1, 28, 28), 10), registry.build("lenet_30_10", (1, 28, 28), 10))


@pytest.mark.parametrize(
    "name",
    ["resnet_20", "cifar_resnet", "cifar_resnet_20_x", "CIFAR_RESNET_20", "lenet", "mnist_lenet_", "vgg_16", ""],
)
def test_unknown_name_lists_patterns(name):
    with pytest.raises(UsageError) as info:
        registry.build(name, (3, 32, 32), 10)
    message = str(info.value)
    for family in registry.FAMILIES:
        assert family.DISPLAY in message
    assert not registry.is_valid(name)


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("cifar_resnet_21", "6n+2"),
        ("cifar_resnet_2", "6n+2"),
        ("cifar_resnet_20_0", "width"),
        ("cifar_vgg_12", "11, 13, 16, 19"),
        ("wide_resnet_27_10", "6n+4"),
        ("wide_resnet_28_0", "widening"),
        ("imagenet_resnet_19", "18, 34, 50"),
        ("cifar_pytorch_resnet_20", "18, 34, 50"),
        ("lenet_300_0", "hidden width"),
    ],
)
def test_invalid_values_are_usage_errors(name, fragment):
    assert not registry.is_valid(name)
    with pytest.raises(UsageError, match=re.escape(fragment)):
        registry.build(name, (3, 32, 32), 10)
    with pytest.raises(UsageError):
        registry.preset(name)


@pytest.mark.parametrize(
    "name",
    ["lenet_300_100", "mnist_lenet_300_100", "cifar_resnet_56", "cifar_resnet_20_64", "cifar_vgg_19_nobn",
     "cifar_pytorch_resnet_152_32", "wide_resnet_40_4", "tinyimagenet_resnet_101", "imagenet_resnet_200",
     "wide_resnet50_2", "wide_resnet101_2"],
)
def test_valid_names(name):
    assert registry.is_valid(name)


def test_unknown_initializers_list_choices():
    with pytest.raises(UsageError, match="kaiming_normal, kaiming_uniform, orthogonal, binary"):
        registry.build("lenet_10", (1, 8, 8), 10, model_init="xavier")
    with pytest.raises(UsageError, match="uniform, fixed, oneone, positivenegative"):
        registry.build("lenet_10", (1, 8, 8), 10, batchnorm_init="zeros")


def test_bad_shapes_are_usage_errors():
    with pytest.raises(UsageError):
        registry.build("lenet_10", (8, 8), 10)
    with pytest.raises(UsageError):
        registry.build("lenet_10", (1, 8, 8), 0)


@pytest.mark.parametrize(
    "name",
    ["lenet_300_100", "mnist_lenet_300_100", "cifar_resnet_20", "cifar_vgg_16", "cifar_pytorch_resnet_18",
     "wide_resnet_28_10", "tinyimagenet_resnet_50", "imagenet_resnet_50", "wide_resnet50_2"],
)
def test_presets_have_known_keys_and_the_asked_name(name):
    preset = registry.preset(name)
    assert set(preset) <= PRESET_KEYS
    assert preset["model_name"] == name
    assert preset["model_init"] == "kaiming_normal" and preset["batchnorm_init"] == "uniform"
    assert preset["optimizer_name"] == "sgd"
    assert isinstance(preset["nesterov"], bool)
    for key in ("milestone_steps", "warmup_steps", "training_steps", "finetune_training_steps",
                "pruning_layers_to_ignore"):
        assert key not in preset or isinstance(preset[key], str)


def test_preset_values():
    lenet = registry.preset("mnist_lenet_300_100")
    assert (lenet["dataset_name"], lenet["batch_size"], lenet["lr"], lenet["momentum"]) == ("mnist", 128, 0.1, 0.0)
    assert lenet["training_steps"] == "40ep" and lenet["pruning_layers_to_ignore"] == "fc.weight"
    assert lenet["finetune_lr"] == 0.01

    resnet = registry.preset("cifar_resnet_20")
    assert resnet["dataset_name"] == "cifar10" and resnet["momentum"] == 0.9 and resnet["weight_decay"] == 1e-4
    assert (resnet["milestone_steps"], resnet["gamma"], resnet["training_steps"]) == ("80ep,120ep", 0.1, "160ep")
    assert resnet["pruning_layers_to_ignore"] == "" and resnet["finetune_lr"] == 0.001

    vgg = registry.preset("cifar_vgg_16")
    assert {k: v for k, v in vgg.items() if k not in ("pruning_layers_to_ignore", "model_name")} == {
        k: v for k, v in resnet.items() if k not in ("pruning_layers_to_ignore", "model_name")
    }
    assert vgg["pruning_layers_to_ignore"] == "fc.weight"

    assert registry.preset("cifar_pytorch_resnet_18")["dataset_name"] == "cifar100"

    wrn = registry.preset("wide_resnet_28_10")
    assert wrn["nesterov"] is True and wrn["weight_decay"] == 5e-4 and wrn["gamma"] == 0.2
    assert (wrn["milestone_steps"], wrn["training_steps"]) == ("60ep,120ep,160ep", "200ep")

    tiny = registry.preset("tinyimagenet_resnet_18")
    assert (tiny["dataset_name"], tiny["batch_size"], tiny["lr"], tiny["warmup_steps"]) == ("tiny_imagenet", 256, 0.2, "5ep")
    assert (tiny["milestone_steps"], tiny["training_steps"]) == ("100ep,150ep", "200ep")

    for name in ("imagenet_resnet_50", "wide_resnet50_2"):
        imagenet = registry.preset(name)
        assert (imagenet["dataset_name"], imagenet["batch_size"], imagenet["lr"]) == ("imagenet", 1024, 0.4)
        assert (imagenet["milestone_steps"], imagenet["training_steps"], imagenet["warmup_steps"]) == (
            "30ep,60ep,80ep", "90ep", "5ep")


def test_presets_are_independent_copies():
    registry.preset("cifar_resnet_20")["lr"] = 99.0
    assert registry.preset("cifar_resnet_20")["lr"] == 0.1
