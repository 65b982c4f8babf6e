"""A new score and a new distribution are one file and one registry line each (here: monkeypatch lines),
and then work through main.py: flags accept them, a lottery level prunes with them."""
from __future__ import annotations

import pytest
import toy_distribution
import toy_score
import torch

from sparselab import main as cli
from sparselab.pruning.distributions import DENSITY_RULES
from sparselab.pruning.mask import Mask
from sparselab.pruning.scores import SCORE_MODULES


def test_toy_score_and_distribution_run_a_lottery(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(SCORE_MODULES, "toy_index", toy_score)  # the score's registry line
    monkeypatch.setitem(DENSITY_RULES, "toy_uniform", toy_distribution.rule)  # the distribution's
    flags = [f"--root={tmp_path}", "--levels=1", "--training_steps=2it", "--pruning_strategy=toy_index",
             "--pruning_distribution=toy_uniform", "--pruning_fraction=0.5"]
    assert cli.main(["lottery", *flags]) == 0
    assert cli.main(["lottery", *flags, "--print_path"]) == 0
    replicate = capsys.readouterr().out.strip().splitlines()[-1]
    mask = Mask.load(f"{replicate}/level_1/main")
    assert len(mask) >= 2
    for name in mask.keys():
        flat = mask[name].flatten()
        kept = int(flat.sum())
        assert kept == round(0.5 * flat.numel()), name  # the toy rule: every tensor at density 0.5
        assert torch.equal(flat[flat.numel() - kept:], torch.ones(kept, dtype=flat.dtype)), name  # the toy score


def test_unregistered_names_are_refused(capsys):
    assert "toy_index" not in SCORE_MODULES  # the monkeypatched line is gone again
    with pytest.raises(SystemExit) as exit:
        cli.main(["lottery", "--pruning_strategy=toy_index", "--print_path"])
    assert exit.value.code == 2
    assert "unknown value 'toy_index'" in capsys.readouterr().err
