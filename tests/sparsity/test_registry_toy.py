"""A new score, distribution and DST method are one file and one registry line each (here: monkeypatch
lines), and then work through main.py: flags accept them, help lists them, a lottery level prunes with
them, a `train` run moves its mask with the toy method."""
from __future__ import annotations

import pytest
import toy_distribution
import toy_dst
import toy_score
import torch

from sparselab import main as cli
from sparselab.sparsity.distributions import DENSITY_RULES
from sparselab.sparsity.dst import load_final_mask
from sparselab.sparsity.dst.history import read_topology
from sparselab.sparsity.dst.methods import DST_METHODS
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.scores import SCORE_MODULES


def test_toy_score_and_distribution_run_a_lottery(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(SCORE_MODULES, "toy_index", toy_score)  # the score's registry line
    monkeypatch.setitem(DENSITY_RULES, "toy_uniform", toy_distribution.rule)  # the distribution's
    with pytest.raises(SystemExit):
        cli.main(["lottery", "--help"])
    assert "toy_index: A toy score for the registry test" in capsys.readouterr().out  # its help line
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


def test_toy_dst_method_trains_and_moves_the_mask(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(DST_METHODS, "toy_grow", toy_dst.method)  # the method's registry line
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    assert "toy_grow: toy growth: lowest flat index first" in capsys.readouterr().out  # help derives from it
    flags = [f"--root={tmp_path}", "--training_steps=2it", "--init_density=0.5", "--dst=toy_grow",
             "--dst_update_frequency=1"]  # one update, at iteration 1 (drop fraction 0.3 * cos schedule)
    assert cli.main(["train", *flags]) == 0
    assert cli.main(["train", *flags, "--print_path"]) == 0
    job = capsys.readouterr().out.strip().splitlines()[-1]
    start, final = Mask.load(job), load_final_mask(job)
    assert final is not None and [int(r["moved"]) for r in read_topology(f"{job}/topology.csv")][0] > 0
    sparse = [name for name in start.keys() if not start[name].all()]  # erk may keep the output layer dense
    assert sparse
    for name in sparse:
        was_off = ~start[name].flatten()
        grown = (final[name].flatten() & was_off).nonzero().flatten()
        assert len(grown) > 0, name
        assert torch.equal(grown, was_off.nonzero().flatten()[:len(grown)]), name  # the first inactive ones


def test_unregistered_names_are_refused(capsys):
    assert "toy_index" not in SCORE_MODULES and "toy_grow" not in DST_METHODS  # monkeypatched lines are gone
    for flags in (["lottery", "--pruning_strategy=toy_index"], ["train", "--dst=toy_grow"]):
        with pytest.raises(SystemExit) as exit:
            cli.main([*flags, "--print_path"])
        assert exit.value.code == 2
        assert f"unknown value '{flags[1].split('=')[1]}'" in capsys.readouterr().err
