"""Legends name only the fields that differ AND matter: hashed, applicable, of a bundle the run uses."""
from __future__ import annotations

import pytest

import reports_fakes as fakes
from sparselab.analysis.reports.relevant import differing_fields, relevant_fields


def _finetune(**changes):
    record = fakes.record("finetune", **changes)
    record["finetune"] = {"finetune_lr": changes.get("finetune_lr", 0.001), "finetune_training_steps": "10ep",
                          "finetune_milestone_steps": "", "finetune_gamma": 0.1, "finetune_warmup_steps": "0ep"}
    return record


@pytest.mark.parametrize("records, expected", [
    # an unhashed field (loggers) never tells runs apart
    ([fakes.record(loggers="tensorboard"), fakes.record()], [{}, {}]),
    # a field that matters and differs
    ([fakes.record(pruning_strategy="random"), fakes.record()],
     [{"pruning_strategy": "random"}, {"pruning_strategy": "magnitude"}]),
    # gamma without milestones changes nothing (its flag exists only with milestones)
    ([fakes.record(milestone_steps="", gamma=0.5), fakes.record(milestone_steps="")], [{}, {}]),
    # ... but with milestones it does
    ([fakes.record(gamma=0.5), fakes.record()], [{"gamma": 0.5}, {"gamma": 0.1}]),
    # erk_power exists only under the erk family (only_with): a global run's recorded value does not count
    ([fakes.record(erk_power=2.0), fakes.record()], [{}, {}]),
    ([fakes.record(pruning_distribution="erk", erk_power=2.0), fakes.record(pruning_distribution="erk")],
     [{"erk_power": 2.0}, {"erk_power": 1.0}]),
    # finetune_lr is not a field of a lottery run: shown for the finetune runs only
    ([fakes.record(), _finetune(finetune_lr=0.01), _finetune()],
     [{}, {"finetune_lr": 0.01}, {"finetune_lr": 0.001}]),
])
def test_differing_fields(records, expected):
    assert differing_fields(records) == expected


def test_relevant_fields_drop_unhashed_and_absent_flags():
    fields = relevant_fields(fakes.record(milestone_steps=""))
    assert "loggers" not in fields and "gamma" not in fields
    assert fields["pruning_strategy"] == "magnitude" and fields["lr"] == 0.05
