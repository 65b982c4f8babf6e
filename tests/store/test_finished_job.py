"""`store.job.FinishedJob`: one finished job opened verified (done.json's digest, the identity bound to
its path, its files), and what it answers: result, hparams, metrics, tensors, masks, sparsity report."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from sparselab.core import io as fio
from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.core.integrity import DamagedFile
from sparselab.sparsity.dst.build import save_final_mask
from sparselab.sparsity.mask import Mask
from sparselab.store.job import FinishedJob, hparams_of, metrics_of
from sparselab.train import job
from sparselab.train.metrics import MetricLog

RECORD = {"dataset": {"dataset_name": "digits"}, "model": {"model_name": "mnist_lenet_300_100"}}
START = Mask({"fc.weight": torch.tensor([[1, 1, 0, 0]] * 3, dtype=torch.bool)})
MOVED = Mask({"fc.weight": torch.tensor([[1, 0, 1, 0]] * 3, dtype=torch.bool)})


def finish(directory: Path, final_mask: Mask | None = None) -> None:
    """A finished job written by the real job machinery (hparams.json, files, metrics, sealed done.json)."""
    directory.mkdir(parents=True)

    def work() -> dict:
        fio.save_torch(directory / layout.WEIGHTS_FINAL, {"fc.weight": torch.ones(3, 4)})
        START.save(directory)
        if final_mask is not None:
            save_final_mask(directory, final_mask)
        MetricLog([{"iteration": 0, "test_accuracy": 0.5}, {"iteration": 2, "test_accuracy": 0.75}]).save(directory)
        return {"density": 0.5}

    job.run_once(directory, RECORD, work, label="toy", verbose=False)


@pytest.fixture
def level(tmp_path: Path) -> Path:
    directory = layout.level_dir(tmp_path / "lottery_0123456789abcdef" / "replicate_1", 1)
    finish(directory, final_mask=MOVED)
    return directory


def test_a_finished_job_answers_its_record_metrics_tensors_masks_and_report(level: Path) -> None:
    stored = FinishedJob(level, check_files=True)
    assert stored.verified and stored.result["density"] == 0.5 and "integrity" not in stored.result
    assert stored.hparams["model"] == RECORD["model"]
    assert [row["test_accuracy"] for row in stored.metrics()] == [0.5, 0.75]
    assert torch.equal(stored.tensors()["fc.weight"], torch.ones(3, 4))
    assert stored.start_mask()["fc.weight"][0].tolist() == [True, True, False, False]
    assert stored.final_mask()["fc.weight"][0].tolist() == [True, False, True, False]  # mask_final.pt wins
    assert stored.sparsity_report()["tensors"]["fc.weight"]["kept"] == 6
    assert stored.sparsity_report(final=True) is not None


def test_an_unfinished_job_is_refused_with_the_callers_words(tmp_path: Path) -> None:
    (tmp_path / "job").mkdir()
    with pytest.raises(UsageError, match=r"is not a finished job \(no done.json\); rerun its command"):
        FinishedJob(tmp_path / "job")
    with pytest.raises(UsageError, match="^create it first$"):
        FinishedJob(tmp_path / "job", missing="create it first")


def test_a_job_copied_onto_another_level_is_refused_by_its_identity(level: Path) -> None:
    other = level.parent.parent / "level_2" / layout.MAIN
    shutil.copytree(level, other)
    with pytest.raises(DamagedFile, match="records level 'level_1' but lies at level 'level_2'"):
        FinishedJob(other)


def test_a_changed_file_is_refused_when_opened_with_check_files_else_when_read(level: Path) -> None:
    fio.save_torch(level / layout.WEIGHTS_FINAL, {"fc.weight": torch.zeros(3, 4)})
    with pytest.raises(DamagedFile, match="weights_final.pt: its sha256 does not match"):
        FinishedJob(level, check_files=True)
    stored = FinishedJob(level)  # done.json itself is intact
    with pytest.raises(DamagedFile, match="does not match"):
        stored.tensors()


def test_metrics_of_a_finished_job_are_verified_those_of_a_running_one_are_read_as_they_are(level: Path,
                                                                                            tmp_path: Path) -> None:
    (level / layout.METRICS).write_text("iteration,test_accuracy\n0,0.9\n")
    with pytest.raises(DamagedFile, match="metrics.csv"):
        metrics_of(level)
    running = tmp_path / "running"
    running.mkdir()
    (running / layout.METRICS).write_text("iteration,test_accuracy\n0,0.9\n")
    assert [row["test_accuracy"] for row in metrics_of(running)] == [0.9]
    assert metrics_of(tmp_path) == [] and hparams_of(tmp_path) is None


def test_a_job_finished_before_checksums_opens_unverified(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / layout.HPARAMS).write_text(json.dumps(RECORD))  # no provenance section: written before checksums
    (old / layout.DONE).write_text(json.dumps({"density": 1.0}))
    stored = FinishedJob(old, check_files=True)
    assert not stored.verified and stored.result == {"density": 1.0}
    assert stored.start_mask() is None and stored.final_mask() is None and stored.sparsity_report() is None


def test_a_changed_hparams_json_is_refused_before_a_network_is_built_from_it(level: Path) -> None:
    record = json.loads((level / layout.HPARAMS).read_text())
    record["model"]["model_name"] = "cifar_vgg_11"
    (level / layout.HPARAMS).write_text(json.dumps(record))
    with pytest.raises(DamagedFile, match="hparams.json: its sha256 does not match"):
        FinishedJob(level).hparams
