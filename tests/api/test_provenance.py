"""hparams.json's provenance section: right values, written once, and old jobs without it still resume."""
from __future__ import annotations

import json
import platform
import subprocess

import pytest
import torch

import sparselab
from sparselab.data.hparams import DatasetHparams
from sparselab.core import integrity
from sparselab.main import main
from sparselab.analysis.reports.jobs import read_hparams
from sparselab.train import checkpoint, data, job, provenance
from helpers import ROOT

FAST = ["--device=cpu", "--threads=1", "--quiet"]


def test_provenance_of_a_job(tmp_path):
    result = sparselab.run("train", root=tmp_path, training_steps="2it", device="cpu", threads=1, quiet=True)
    record = json.loads((result.path / "hparams.json").read_text())
    p = record["provenance"]
    assert p["input_shape"] == [1, 8, 8] and p["num_classes"] == 10
    assert p["normalization"] == {"mean": [0.3053], "std": [0.3759]}
    assert p["torch_version"] == torch.__version__ and p["python_version"] == platform.python_version()
    assert p["sparselab_version"] == sparselab.__version__
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    assert p["git_commit"] == (head.stdout.strip() if head.returncode == 0 else None)
    assert "provenance" not in read_hparams(result.path)  # reports compare hyperparameters only
    assert set(record) - {"provenance"} == set(read_hparams(result.path))


@pytest.mark.parametrize("image_size", [None, 16])
def test_data_spec_matches_the_loaded_data(image_size):
    dataset = DatasetHparams(image_size=image_size)
    prepared = data.prepare_data(dataset, ROOT / "data", replicate=1)
    spec = provenance.data_spec(dataset.to_dict())
    assert tuple(spec["input_shape"]) == prepared.input_shape and spec["num_classes"] == prepared.num_classes
    assert provenance.STREAMING_IMAGE_SIZE == data.STREAMING_IMAGE_SIZE


def test_branch_records_take_the_trunks_dataset():
    record = {"branch": "x", "trunk": {"dataset": {"dataset_name": "digits"}, "model": {}}}
    assert provenance.provenance(record)["input_shape"] == [1, 8, 8]


def interrupt_after_first_checkpoint(monkeypatch):
    save = checkpoint.save

    def save_then_stop(*args, **kwargs):
        save(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "save", save_then_stop)


def test_an_old_job_without_provenance_resumes_and_keeps_its_hparams(tmp_path, monkeypatch, capsys):
    argv = ["train", "--training_steps=13it", "--checkpoint_seconds=0", *FAST]  # a checkpoint at the first epoch end (12 it)
    with monkeypatch.context() as m:  # what an older sparselab wrote: no provenance, a checkpoint mid-run
        m.setattr(job, "with_provenance", lambda record: dict(record))
        interrupt_after_first_checkpoint(m)
        assert main([*argv, f"--root={tmp_path / 'old'}"]) == 130
    (directory,) = (tmp_path / "old").glob("train_*/replicate_1/main")
    old_hparams = (directory / "hparams.json").read_bytes()
    assert (directory / checkpoint.CHECKPOINT_FILE).exists() and b"provenance" not in old_hparams
    assert main([*argv, f"--root={tmp_path / 'old'}", "--quiet=false"]) == 0
    assert "resuming from" in capsys.readouterr().out
    assert (directory / "hparams.json").read_bytes() == old_hparams  # never rewritten
    assert integrity.check_job(directory)  # done.json records the old file's sha256
    assert main([*argv, f"--root={tmp_path / 'new'}"]) == 0
    (fresh,) = (tmp_path / "new").glob("train_*/replicate_1/main")
    assert fresh.relative_to(tmp_path / "new") == directory.relative_to(tmp_path / "old")  # same hash
    resumed, uninterrupted = (torch.load(d / "weights_final.pt", weights_only=True) for d in (directory, fresh))
    assert all(torch.equal(resumed[k], uninterrupted[k]) for k in resumed)
    loaded = sparselab.load_job(directory)  # data shape from the dataset registry instead
    assert loaded.data["input_shape"] == [1, 8, 8] and "provenance" not in loaded.hparams
