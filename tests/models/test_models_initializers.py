"""Statistics of the weight and BatchNorm initialisers."""
import math

import pytest
import torch

from sparselab.models import initializers, registry


def big_lenet(model_init: str):
    # fc_layers.0 is a 400 x 1000 weight: 400k samples give tight statistics
    return registry.build("lenet_400", (1, 25, 40), 10, model_init=model_init)


def test_kaiming_normal_std_and_mean():
    w = big_lenet("kaiming_normal").fc_layers[0].weight
    assert w.std().item() == pytest.approx(math.sqrt(2 / 1000), rel=0.02)
    assert abs(w.mean().item()) < 0.002


def test_kaiming_uniform_bounds_and_std():
    w = big_lenet("kaiming_uniform").fc_layers[0].weight
    bound = math.sqrt(6 / 1000)
    assert w.abs().max().item() <= bound
    assert w.abs().max().item() > 0.99 * bound
    assert w.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_orthogonal_rows_are_orthonormal():
    w = big_lenet("orthogonal").fc_layers[0].weight
    torch.testing.assert_close(w @ w.T, torch.eye(400), atol=1e-4, rtol=0)


def test_binary_weights_take_two_values_per_tensor():
    model = registry.build("cifar_resnet_8_4", (3, 32, 32), 10, model_init="binary")
    for name in model.prunable_layer_names:
        w = model.get_parameter(name)
        values = torch.unique(w)
        assert len(values) == 2, name
        assert values[0].item() == pytest.approx(-values[1].item())
    w = big_lenet("binary").fc_layers[0].weight
    assert torch.unique(w.abs()).numel() == 1
    assert w.abs()[0, 0].item() == pytest.approx(math.sqrt(2 / 1000), rel=0.02)


@pytest.mark.parametrize("model_init", list(initializers.WEIGHT_INITIALIZERS))
def test_bias_init_zeros_zeroes_every_bias(model_init):
    model = registry.build("cifar_vgg_11_nobn", (3, 8, 8), 10, model_init=model_init, bias_init="zeros")
    biases = [p for n, p in model.named_parameters() if n.endswith(".bias")]
    assert biases and all(torch.count_nonzero(b) == 0 for b in biases)


def openlth_lenet_300_100(seed: int) -> dict[str, torch.Tensor]:
    """OpenLTH's construction, by hand: Linear layers built in order under the seed (PyTorch's default
    U(+-1/sqrt(fan_in)) biases), then kaiming_normal_ applied to every weight in modules() order."""
    torch.manual_seed(seed)
    fc_layers = torch.nn.ModuleList([torch.nn.Linear(784, 300), torch.nn.Linear(300, 100)])
    fc = torch.nn.Linear(100, 10)
    for layer in [*fc_layers, fc]:
        torch.nn.init.kaiming_normal_(layer.weight)
    named = {f"fc_layers.{i}.{k}": v for i, layer in enumerate(fc_layers) for k, v in layer.state_dict().items()}
    return named | {f"fc.{k}": v for k, v in fc.state_dict().items()}


def test_default_init_is_openlth_s_lenet_tensor_for_tensor():
    ours = registry.build("lenet_300_100", (1, 28, 28), 10, seed=7).state_dict()
    theirs = openlth_lenet_300_100(7)
    assert set(ours) == set(theirs)
    for name, tensor in theirs.items():
        assert torch.equal(ours[name], tensor), name
    bounds = {"fc_layers.0.bias": 1 / math.sqrt(784), "fc_layers.1.bias": 1 / math.sqrt(300), "fc.bias": 0.1}
    for name, bound in bounds.items():  # OpenLTH's model_ep0_it0: max |b| 0.036 / 0.057 / 0.091
        assert 0.8 * bound < ours[name].abs().max().item() <= bound, name


def test_a_stored_model_bundle_without_bias_init_means_the_old_zero_biases():
    from sparselab.models.hparams import ModelHparams

    old = ModelHparams.from_dict({"model_name": "lenet_300_100"})
    assert old.bias_init == "zeros" and old.canonical() == {}
    assert ModelHparams().canonical() == {"bias_init": "pytorch"}  # the new default gets new directories


def batchnorms(batchnorm_init: str):
    model = registry.build("cifar_resnet_20", (3, 32, 32), 10, batchnorm_init=batchnorm_init)
    return [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]


def gammas_betas(batchnorm_init: str):
    bns = batchnorms(batchnorm_init)
    return torch.cat([b.weight for b in bns]), torch.cat([b.bias for b in bns])


def test_bn_uniform():
    gamma, beta = gammas_betas("uniform")
    assert gamma.min() >= 0 and gamma.max() < 1
    assert gamma.mean().item() == pytest.approx(0.5, abs=0.05)
    assert torch.count_nonzero(beta) == 0


def test_bn_fixed_and_oneone():
    gamma, beta = gammas_betas("fixed")
    assert torch.all(gamma == 1) and torch.all(beta == 0)
    gamma, beta = gammas_betas("oneone")
    assert torch.all(gamma == 1) and torch.all(beta == 1)


def test_bn_positivenegative():
    gamma, beta = gammas_betas("positivenegative")
    assert gamma.min() >= -1 and gamma.max() < 1
    assert (gamma < 0).any() and (gamma > 0).any()
    assert torch.count_nonzero(beta) == 0


def test_bn_running_statistics_are_reset():
    for bn in batchnorms("uniform"):
        assert torch.all(bn.running_mean == 0) and torch.all(bn.running_var == 1)
        assert bn.num_batches_tracked.item() == 0
