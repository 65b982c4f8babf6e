"""The `list` command: every experiment under a root, its progress and its non-preset hparams."""
from __future__ import annotations

import pytest

import reports_fakes as fakes
from sparselab.core.errors import UsageError
from sparselab.analysis.reports.command import ListCommand
from sparselab.analysis.reports.hparams_diff import preset_differences
from sparselab.analysis.reports.listing import list_root, render_listing


def _root(tmp_path):
    root = tmp_path / "runs"
    fakes.lottery(root, {1: [0.9, 0.8, 0.7], 2: [0.9]}, name="lottery_aaaaaaaaaaaaaaaa")
    fakes.job(root / "lottery_aaaaaaaaaaaaaaaa" / "replicate_2" / "level_1" / "main", fakes.record(), None,
              fakes.curve(0.5, 10))
    fakes.lottery(root, {1: [0.9, 0.8]}, name="rewindLR_bbbbbbbbbbbbbbbb", command="rewindLR",
                  hparams=fakes.record("rewindLR", pruning_fraction=0.5, noisy_labels_type="symmetric",
                                       noisy_labels_fraction=0.2))
    fakes.train_run(root, {1: 0.9})
    (root / "not_an_experiment").mkdir()
    return root


def test_list_root_entries(tmp_path):
    entries = {e.name: e for e in list_root(_root(tmp_path))}
    assert sorted(entries) == ["lottery_aaaaaaaaaaaaaaaa", "rewindLR_bbbbbbbbbbbbbbbb", "train_fedcba9876543210"]
    lottery = entries["lottery_aaaaaaaaaaaaaaaa"]
    assert (lottery.command, lottery.replicates, lottery.done, lottery.in_progress, lottery.expected) == \
        ("lottery", [1, 2], 4, 1, 6)
    assert lottery.preset == "digits" and lottery.differences == {}
    rewind = entries["rewindLR_bbbbbbbbbbbbbbbb"]
    assert rewind.command == "rewindLR"
    assert rewind.differences == {"pruning_fraction": 0.5, "noisy_labels_type": "symmetric",
                                  "noisy_labels_fraction": 0.2}
    assert entries["train_fedcba9876543210"].done == 1


def test_list_output(tmp_path, capsys):
    root = _root(tmp_path)
    assert ListCommand.main(["--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "3 experiment(s) under" in out
    line = next(l for l in out.splitlines() if l.startswith("rewindLR_bbbbbbbbbbbbbbbb"))
    assert "preset digits: pruning_fraction=0.5 noisy_labels_type=symmetric noisy_labels_fraction=0.2" in line
    line = next(l for l in out.splitlines() if l.startswith("lottery_aaaaaaaaaaaaaaaa"))
    assert line.split()[:5] == ["lottery_aaaaaaaaaaaaaaaa", "lottery", "1,2", "4/6", "1"]
    assert "not_an_experiment" not in out


def test_list_empty_and_missing_roots(tmp_path, capsys):
    assert "no experiments under" in render_listing([], tmp_path)
    with pytest.raises(UsageError, match="no such directory"):
        ListCommand.main(["--root", str(tmp_path / "nope")])


def test_preset_is_chosen_by_fewest_differences():
    record = fakes.record()
    record["dataset"]["dataset_name"] = "mnist"
    record["dataset"]["batch_size"] = 128
    record["training"].update(lr=0.1, momentum=0.0, weight_decay=0.0, training_steps="40ep", milestone_steps="")
    preset, diff = preset_differences({k: v for k, v in record.items() if k != "command"})
    assert preset == "lenet_300_100"
    assert diff == {}


def test_runs_recorded_before_a_bundle_existed_compare_equal_to_its_defaults():
    from sparselab.sparsity.dst_hparams import DSTHparams
    from sparselab.analysis.reports.relevant import differing_fields

    old = {"command": "lottery", "pruning": {"pruning_strategy": "random"}}
    new = {"command": "lottery", "pruning": {"pruning_strategy": "magnitude"}, "dst": DSTHparams().to_dict()}
    assert differing_fields([old, new]) == [{"pruning_strategy": "random"}, {"pruning_strategy": "magnitude"}]
