"""Channel pruning: whole filters of the inner ResNet convs, hand-computed allocations, slimming's L1 term."""
from __future__ import annotations

import math

import pytest
from helpers import absent_flags
import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.models import registry
from sparselab.sparsity.channels import channel_groups, channel_keep, removed_channels
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.hparams import PruningHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune
from sparselab.train.slimming import BNL1Hook


def _resnet20() -> nn.Module:
    return registry.build("cifar_resnet_20", (3, 8, 8), 10, seed=0)


def test_only_the_inner_conv_of_each_block_is_removable() -> None:
    groups = channel_groups(_resnet20())
    assert [g.producer for g in groups] == [f"blocks.{i}.conv1.weight" for i in range(9)]
    assert groups[0].followers == ("blocks.0.bn1.weight", "blocks.0.bn1.bias")
    assert groups[0].consumer == "blocks.0.conv2.weight"


def test_channel_keep_by_hand() -> None:
    scores = {"a": torch.tensor([0.1, 0.5, 0.3]), "b": torch.tensor([0.2, 0.05])}
    live = {"a": torch.ones(3, dtype=torch.bool), "b": torch.ones(2, dtype=torch.bool)}
    # global, remove 2 of 5: the best of each layer stays (a1, b0), then the best of the rest (a2, not b1)
    out = channel_keep(scores, live, 2, "global")
    assert out["a"].tolist() == [False, True, True] and out["b"].tolist() == [True, False]
    out = channel_keep(scores, live, 2, "layerwise")  # 3 of 5 kept: 3*0.6=1.8 -> 2, 2*0.6=1.2 -> 1
    assert out["a"].tolist() == [False, True, True] and out["b"].tolist() == [True, False]
    with pytest.raises(UsageError):
        channel_keep(scores, live, 4, "global")


@pytest.mark.parametrize("strategy", ["filter_l1", "filter_l2", "network_slimming"])
def test_a_resnet20_level_removes_whole_filters(strategy: str) -> None:
    model = _resnet20()
    with torch.no_grad():
        for i, block in enumerate(model.blocks):
            block.bn1.weight.copy_(torch.linspace(0.1, 1.0, block.bn1.num_features))
    hp = PruningHparams(pruning_strategy=strategy, pruning_fraction=0.5, pruning_distribution="layerwise")
    mask = Mask.ones_like(model)
    new = prune(model, mask, hp, ScoreContext(seed=0))
    total = sum(m.conv1.out_channels for m in model.blocks)
    removed = 0
    for g in channel_groups(model):
        gone = removed_channels(new, g)
        rows = new[g.producer].reshape(new[g.producer].shape[0], -1)
        assert bool((rows.all(1) | ~rows.any(1)).all())          # every filter kept whole or removed whole
        assert not bool(new[g.consumer][:, gone].any())           # the consumer's input columns go too
        removed += int(gone.sum())
        if strategy == "network_slimming":                        # the smallest gammas go first
            assert gone[: int(gone.sum())].all()
    assert removed == (math.ceil if strategy == "network_slimming" else round)(0.5 * total)
    assert bool(new["conv.weight"].all()) and bool(new["blocks.0.conv2.weight"].reshape(16, -1).any(1).all())
    assert new.is_subset_of(mask)


def test_slimming_hparams_default_and_refusals() -> None:
    assert PruningHparams(pruning_strategy="network_slimming").bn_sparsity_regularization == 1e-4
    assert PruningHparams().bn_sparsity_regularization is None
    assert "bn_sparsity_regularization" in absent_flags(PruningHparams)
    with pytest.raises(UsageError):
        PruningHparams(pruning_strategy="filter_l1", pruning_distribution="erk")


def test_bn_l1_hook_adds_the_sign_subgradient() -> None:
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.5, -2.0, 0.0]))
    bn.weight.grad = torch.zeros(3)
    BNL1Hook(1e-4).before_optimizer_step(nn.Sequential(bn), None, 0)
    assert bn.weight.grad.tolist() == pytest.approx([1e-4, -1e-4, 0.0])


def test_pre_activation_blocks_are_not_mistaken_for_conv_bn_pairs() -> None:
    # wide ResNet blocks are bn1 -> relu -> conv1 -> bn2: bn1 does not read conv1's output
    with pytest.raises(UsageError, match="no removable channels"):
        channel_groups(registry.build("wide_resnet_16_2", (3, 8, 8), 10, seed=0))
