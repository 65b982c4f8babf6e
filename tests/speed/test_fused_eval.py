"""Evaluation graphs (speed/fused_eval.py): BatchNorm folding by hand, fused graphs equal eager ones."""
from __future__ import annotations

import pytest
import torch
from torch import fx, nn

from sparselab.models import registry
from sparselab.speed.fused_eval import evaluation_model, fold_batchnorm


def test_fold_batchnorm_matches_a_hand_computation() -> None:
    conv = nn.Conv2d(1, 2, 1, bias=True)
    bn = nn.BatchNorm2d(2, eps=0.0)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([2.0, -1.0]).view(2, 1, 1, 1))
        conv.bias.copy_(torch.tensor([1.0, 0.5]))
        bn.running_mean.copy_(torch.tensor([3.0, 1.0]))
        bn.running_var.copy_(torch.tensor([4.0, 0.25]))
        bn.weight.copy_(torch.tensor([0.5, 2.0]))
        bn.bias.copy_(torch.tensor([1.0, -1.0]))
    weight, bias = fold_batchnorm(conv, bn)
    # channel 0: scale 0.5 / 2 = 0.25 -> w 0.5, b (1 - 3) * 0.25 + 1 = 0.5
    # channel 1: scale 2 / 0.5 = 4    -> w -4, b (0.5 - 1) * 4 - 1 = -3
    assert weight.flatten().tolist() == [0.5, -4.0]
    assert bias.tolist() == [0.5, -3.0]


def _trained_statistics(model: nn.Module, shape: tuple[int, ...]) -> nn.Module:
    torch.manual_seed(1)
    model.train()
    with torch.no_grad():
        model(torch.randn(16, *shape))  # running statistics away from (0, 1)
    return model.eval()


@pytest.mark.parametrize("name", ["cifar_resnet_8", "cifar_vgg_11"])
@pytest.mark.parametrize("onednn", [True, False])
@pytest.mark.parametrize("channels_last", [True, False])
def test_fused_graph_computes_the_eager_forward(name: str, onednn: bool, channels_last: bool) -> None:
    shape = (3, 32, 32)
    model = _trained_statistics(registry.build(name, shape, 10, seed=0), shape)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(4, *shape).contiguous(memory_format=layout)
    fused = evaluation_model(model, onednn=onednn)
    assert isinstance(fused, fx.GraphModule)
    assert sum("_evaluation_fused" in str(n.target) for n in fused.graph.nodes) > 0
    assert not any(isinstance(m, nn.BatchNorm2d) for n in fused.graph.nodes if n.op == "call_module"
                   for m in [fused.get_submodule(n.target)])
    with torch.inference_mode():
        torch.testing.assert_close(fused(x), model(x), rtol=1e-5, atol=1e-5)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the model is untouched


class Untraceable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv, self.bn = nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:  # data-dependent control flow: fx cannot trace it
            return self.bn(self.conv(x))
        return self.conv(x)


@pytest.mark.parametrize("model", [Untraceable().eval(), registry.build("mnist_lenet_300_100", (1, 28, 28), 10).eval(),
                                   registry.build("cifar_resnet_8", (3, 32, 32), 10).train()])
def test_models_without_a_fusable_eval_graph_are_evaluated_as_they_are(model: nn.Module) -> None:
    """Untraceable forward, no convolution, or a model in training mode: the model itself."""
    assert evaluation_model(model, onednn=True) is model


class Residuals(nn.Module):
    """conv-BN outputs added in place, both ways round: `tail.add_(other)` fuses, `other.add_(tail)` must
    not (the fused call would leave `other`, which the forward reads again, without the sum)."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.bn_a = nn.Conv2d(2, 2, 3, padding=1), nn.BatchNorm2d(2)
        self.b, self.bn_b = nn.Conv2d(2, 2, 3, padding=1), nn.BatchNorm2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first = self.bn_a(self.a(x)).add_(x).relu_()
        other = first * 2
        second = other.add_(self.bn_b(self.b(first))).relu_()
        return second + other


@pytest.mark.parametrize("onednn", [True, False])
def test_in_place_residual_additions_fuse_only_where_that_is_exact(onednn: bool) -> None:
    torch.manual_seed(0)
    model = Residuals()
    for bn in (model.bn_a, model.bn_b):
        bn.running_mean.uniform_(-1, 1), bn.running_var.uniform_(0.5, 2)
    model.eval()
    fused = evaluation_model(model, onednn=onednn)
    calls = [n for n in fused.graph.nodes if "_evaluation_fused" in str(n.target)]
    assert [len(n.args) for n in calls] == [2, 1]  # a: conv + BN + x + ReLU in one call; b: conv + BN only
    assert [fused.get_submodule(n.target).relu for n in calls] == [True, False]
    assert [n.target for n in fused.graph.nodes if n.op == "call_method"] == ["add_", "relu_"]
    x = torch.randn(3, 2, 5, 5)
    torch.testing.assert_close(fused(x.clone()), model(x.clone()), rtol=1e-5, atol=1e-5)


class OutOfPlaceBlock(nn.Module):
    """The CIFAR ResNet block written without in-place operations (the reference for the model's own)."""

    @staticmethod
    def forward(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(block.bn1(block.conv1(x)))
        return torch.relu(block.bn2(block.conv2(out)) + block.shortcut(x))


def test_in_place_activations_give_the_out_of_place_step_bit_for_bit(monkeypatch) -> None:
    """models/README.md: the in-place ReLU / residual forms change nothing in a training step."""
    from sparselab.models import cifar_resnet

    def step() -> list[torch.Tensor]:
        model = registry.build("cifar_resnet_8", (3, 32, 32), 10, seed=3)
        x, y = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(1)), torch.tensor([0, 1, 2, 3])
        nn.functional.cross_entropy(model(x), y).backward()
        return [p.grad.clone() for p in model.parameters()] + [b.clone() for b in model.buffers()]

    in_place = step()
    monkeypatch.setattr(cifar_resnet.Block, "forward", OutOfPlaceBlock.forward)
    reference = step()
    assert len(in_place) == len(reference)
    assert all(torch.equal(a, b) for a, b in zip(in_place, reference))


def test_evaluation_runs_the_trained_module_unless_fused_eval_is_chosen() -> None:
    from sparselab.platforms.base import Platform, PlatformHparams
    from sparselab.speed.fused_eval import evaluation_forward

    shape = (3, 32, 32)
    model = _trained_statistics(registry.build("cifar_resnet_8", shape, 10, seed=0), shape)
    try:
        Platform(PlatformHparams(device="cpu", threads=1))
        assert evaluation_forward(model, onednn=True) is model
        Platform(PlatformHparams(device="cpu", threads=1, fused_eval=True))
        assert isinstance(evaluation_forward(model, onednn=True), fx.GraphModule)
    finally:
        Platform(PlatformHparams(device="cpu", threads=1))
    assert evaluation_forward(model, onednn=True) is model
