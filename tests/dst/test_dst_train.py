"""DST through the runners: `train --dst`, bad flags, hashes, exact resumption, pruning levels."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from sparselab import main as cli
from sparselab.core import io as fio
from sparselab.core.cli import JobHparams
from sparselab.core.desc import job_name
from helpers import run_main
from sparselab.sparsity.dst import DSTHook, load_final_mask, make_hook
from sparselab.sparsity.dst.history import read_topology
from sparselab.sparsity.dst_hparams import DSTHparams
from sparselab.sparsity.mask import Mask

FAST = ["--training_steps=2ep", "--threads=1", "--quiet"]


def job_dir(root: Path, command: str, *flags: str) -> Path:
    return Path(run_main(command, f"--root={root}", "--print_path", *flags).stdout.strip())


def test_train_with_rigl_moves_weights_and_keeps_density(tmp_path):
    flags = [*FAST, "--init_density=0.1", "--dst=rigl", "--dst_update_frequency=10"]
    run_main("train", f"--root={tmp_path}", *flags)
    d = job_dir(tmp_path, "train", *flags)
    done = json.loads((d / "done.json").read_text())
    assert done["density"] == 0.1 and done["dst_moved_total"] > 0
    start, final = Mask.load(d), load_final_mask(d)
    assert final is not None and not start.equals(final)
    assert start.kept_per_tensor() == final.kept_per_tensor()  # no redistribution: per-layer counts fixed
    weights = fio.load_torch(d / "weights_final.pt")
    for name, m in final.items():
        assert bool((weights[name][~m] == 0).all())
    rows = read_topology(d / "topology.csv")
    assert [r["iteration"] for r in rows] == [10, 20, 30]  # 46 iterations, updates stop at 75 % (34)
    assert all(r["density"] == 0.1 and r["moved"] > 0 for r in rows)
    assert sum(r["moved"] for r in rows) == done["dst_moved_total"]
    assert {f"density[{n}]" for n in final.keys()} <= set(rows[0])
    metrics = (d / "metrics.csv").read_text().splitlines()
    assert "dst_moved_total" in metrics[0]


def _main_error(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as info:
        cli.main(list(argv))
    assert info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    return lines[0]


@pytest.mark.parametrize("flags, fragment", [
    (["--dst=rigl"], "needs a sparse mask"),
    (["--dst=set", "--init_density=1.0"], "needs a sparse mask"),
    (["--dst=rigl", "--init_density=0.1", "--dst_update_frequency=0"], "--dst_update_frequency must be >= 1"),
    (["--dst=rigl", "--init_density=0.1", "--dst_drop_fraction=1.5"], "--dst_drop_fraction"),
    (["--dst=sett", "--init_density=0.1"], "choose from set, rigl, momentum, granet"),
    (["--dst=granet"], "--dst_final_density"),
    (["--dst=rigl", "--init_density=0.1", "--dst_end=3epochs"], "malformed step"),
    (["--dst=rigl", "--init_density=0.1", "--dst_final_density=0.1"], "--dst_final_density exists only with --dst=granet (not rigl)"),
])
def test_bad_dst_flags_are_one_line_exit_2_nothing_written(tmp_path, capsys, flags, fragment):
    line = _main_error(capsys, "train", f"--root={tmp_path}", *flags)
    assert fragment in line, line
    assert list(tmp_path.iterdir()) == []


def test_default_dst_bundle_changes_no_hash():
    from sparselab.train.runner import TrainRunner

    base = {"dataset": None, "model": None}
    runner_bundles = TrainRunner.__dataclass_fields__.keys()
    assert "dst" in runner_bundles and "extra" in runner_bundles  # extra: the ensemble bundle of `train`
    assert DSTHparams().canonical() == {}
    assert DSTHparams(dst_update_frequency=100, dst_drop_schedule="cosine").canonical() == {}
    from sparselab.train.hparams import TrainingHparams

    t = TrainingHparams(lr=0.02)
    assert job_name("train", {**base, "training": t}) == job_name("train", {**base, "training": t,
                                                                          "dst": DSTHparams()})
    assert job_name("train", {"training": t}) != job_name("train", {"training": t, "dst": DSTHparams(dst="set")})


def test_same_flags_without_dst_keep_their_directory(tmp_path):
    a = job_dir(tmp_path, "train", "--init_density=0.1")
    b = job_dir(tmp_path, "train", "--init_density=0.1", "--dst=set", "--dst_update_frequency=100",
                "--dst_drop_fraction=0.3")
    c = job_dir(tmp_path, "train", "--init_density=0.1", "--dst=set")
    assert a != c and b == c  # explicit defaults name the same job


def test_dst_flags_without_dst_are_refused(tmp_path):
    proc = run_main("train", f"--root={tmp_path}", "--print_path", "--init_density=0.1", "--dst_update_frequency=100",
                    check=False)
    assert proc.returncode == 2 and "exists only with" in proc.stderr and proc.stderr.count("\n") == 1


def test_resumed_dst_training_is_exact(tmp_path):
    from sparselab.data.hparams import DatasetHparams
    from sparselab.models.hparams import ModelHparams
    from sparselab.platforms.base import PlatformHparams
    from sparselab.train.experiment import Experiment
    from sparselab.train.hparams import TrainingHparams
    from sparselab.train.standard import train_in_directory

    exp = Experiment.create(PlatformHparams(device="cpu", threads=1), JobHparams(quiet=True))
    exp.load_data(DatasetHparams(batch_size=64), "fp32")
    training = TrainingHparams(lr=0.05, momentum=0.9, training_steps="3ep")
    dst = DSTHparams(dst="momentum", dst_update_frequency=7)

    def run(directory: Path, end: int | None) -> DSTHook:
        model = exp.build_model(ModelHparams(), seed=1)
        g = torch.Generator().manual_seed(0)
        mask = Mask({n: torch.rand(p.shape, generator=g) < 0.2 for n, p in model.named_parameters()
                     if n.endswith("weight")})
        mask.apply_(model)
        hook = make_hook(mask, dst, training_steps=training.training_steps,
                         iterations_per_epoch=exp.env.data.iterations_per_epoch(), seed=5, momentum=0.9,
                         directory=directory)
        train_in_directory(directory, model, exp.env, training, end_iteration=end, hooks=[hook])
        return hook

    reference = run(tmp_path / "a", None)
    run(tmp_path / "b", 30)  # stops mid-epoch after 30 iterations with a checkpoint
    assert (tmp_path / "b" / "checkpoint.pt").exists()
    resumed = run(tmp_path / "b", None)
    assert reference.mask.equals(resumed.mask)
    wa = fio.load_torch(tmp_path / "a" / "weights_final.pt")
    wb = fio.load_torch(tmp_path / "b" / "weights_final.pt")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert (tmp_path / "a" / "topology.csv").read_text() == (tmp_path / "b" / "topology.csv").read_text()


def test_lottery_levels_with_dst_prune_the_final_mask(tmp_path):
    flags = ["--levels=2", *FAST[1:], "--training_steps=1ep", "--init_density=0.5", "--dst=rigl",
             "--dst_update_frequency=5"]
    run_main("lottery", f"--root={tmp_path}", *flags)
    root = job_dir(tmp_path, "lottery", *flags)
    for level in (0, 1, 2):
        d = root / f"level_{level}" / "main"
        assert (d / "topology.csv").exists() and (d / "mask_final.pt").exists()
    final1 = load_final_mask(root / "level_1" / "main")
    start2 = Mask.load(root / "level_2" / "main")
    assert start2.is_subset_of(final1) and start2.num_kept < final1.num_kept
    assert not Mask.load(root / "level_1" / "main").equals(final1)
