"""Properties read from the registries' entries (no training): channel scores, DST methods, RuleOptions."""
from __future__ import annotations

import types

import pytest
from helpers import absent_flags
import torch

from sparselab.core.errors import UsageError
from sparselab.sparsity.channels import channel_removal_count, channel_scores, ChannelGroup
from sparselab.sparsity.dst.methods import DST_METHODS, DSTMethod
from sparselab.sparsity.dst_hparams import DSTHparams
from sparselab.sparsity.hparams import CHANNEL_SCORES, SCORES, STRATEGIES, PruningHparams
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.prune import rule_options
from sparselab.sparsity.scores import SCORE_MODULES

TOY_CHANNELS = types.SimpleNamespace(channels=True, seeded=False, data="none", description="minus the L1 norm",
                                     channel_score=lambda rows, bn, producer: -rows.abs().sum(1))


def test_a_channel_score_is_a_property_of_its_entry(monkeypatch):
    assert tuple(CHANNEL_SCORES) == ("filter_l1", "filter_l2", "network_slimming")
    monkeypatch.setitem(SCORE_MODULES, "toy_channels", TOY_CHANNELS)
    assert "toy_channels" in CHANNEL_SCORES and "toy_channels" in STRATEGIES and "toy_channels" not in SCORES
    h = PruningHparams(pruning_strategy="toy_channels")
    assert h.is_channel_strategy and {"pruning_count_rule", "pruning_seed"} <= absent_flags(h)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 0.0], [-3.0, 3.0]]))
    group = ChannelGroup(producer="0.weight", followers=("0.bias",), consumer="1.weight")
    assert torch.equal(channel_scores(model, [group], "toy_channels")["0.weight"], torch.tensor([-3.0, -0.5, -6.0]))
    assert torch.allclose(channel_scores(model, [group], "filter_l2")["0.weight"] ** 2, torch.tensor([5.0, 0.25, 18.0]))
    assert channel_removal_count("toy_channels", 0.25, 10) == 2  # round(2.5) = 2 (banker's), the default
    assert channel_removal_count("network_slimming", 0.25, 10) == 3  # its own count: ceil(2.5)


def test_dst_method_properties_drive_validation(monkeypatch):
    monkeypatch.setitem(DST_METHODS, "toy_prunes", DSTMethod(DST_METHODS["rigl"].grow, "toy", prunes=True))
    with pytest.raises(UsageError, match="--dst=toy_prunes needs --dst_final_density"):
        DSTHparams(dst="toy_prunes").validate()
    h = DSTHparams(dst="toy_prunes", dst_final_density=0.1)
    h.validate()
    assert h.prunes and "dst_seed" in absent_flags(h) and "dst_final_density" not in absent_flags(h)
    assert "dst_seed" not in absent_flags(DSTHparams(dst="set"))  # set is the seeded one


def test_rule_options_of_both_bundles():
    levels = rule_options(PruningHparams(pruning_distribution="erk", erk_power=2.0))
    assert (levels.erk_power, levels.balanced_redistribute) == (2.0, True)
    init = InitPruningHparams(init_density=0.1, init_pruning_distribution="balanced")
    init.validate()
    assert rule_options(init).balanced_redistribute is False and rule_options(init).erk_power == 1.0
