"""Checksums, damaged files, leftovers and JSON safety, in process (foundations.integrity, io, training.job)."""
from __future__ import annotations

import json
import math

import pytest
import torch

from sparselab.core import integrity
from sparselab.core import io as fio
from sparselab.core.errors import JobFailed, UsageError
from sparselab.train import job
from sparselab.train.checkpoint import CHECKPOINT_FILE

from integrity_helpers import flip_bit


def finished_job(directory, result=None):
    """A job that wrote weights and a metrics log, finished through run_once (so done.json is sealed)."""
    def work():
        fio.save_torch(directory / "weights_final.pt", {"w": torch.arange(100, dtype=torch.float32)})
        fio.write_text(directory / "metrics.csv", "iteration,test_accuracy\n0,0.1\n10,0.5\n")
        return result or {"final_test_accuracy": 0.5}
    return job.run_once(directory, {"h": 1}, work, "j", verbose=False)


def test_done_json_records_every_file_and_itself(tmp_path):
    d = tmp_path / "j"
    assert finished_job(d) == {"final_test_accuracy": 0.5}
    record = json.loads((d / "done.json").read_text())
    files = record["integrity"]["files"]
    assert sorted(files) == ["hparams.json", "metrics.csv", "weights_final.pt"]
    assert files["weights_final.pt"] == integrity.digest_bytes((d / "weights_final.pt").read_bytes())
    assert job.read_done(d) == {"final_test_accuracy": 0.5} and integrity.check_job(d) is True


def test_flipped_bit_in_a_finished_file_is_refused_when_read(tmp_path):
    d = tmp_path / "j"
    finished_job(d)
    flip_bit(d / "weights_final.pt")
    with pytest.raises(integrity.DamagedFile, match=r"damaged file .*weights_final\.pt.*verify --root .* --repair"):
        fio.load_torch(d / "weights_final.pt")
    with pytest.raises(integrity.DamagedFile, match="weights_final.pt"):  # the rerun ("already done") too
        job.run_once(d, {"h": 1}, lambda: pytest.fail("a finished job must not run again"), "j", verbose=False)


def test_changed_value_or_garbage_in_done_json_is_damage(tmp_path):
    d = tmp_path / "j"
    finished_job(d)
    text = (d / "done.json").read_text()
    (d / "done.json").write_text(text.replace('"final_test_accuracy": 0.5', '"final_test_accuracy": 0.9'))
    with pytest.raises(integrity.DamagedFile, match="done.json"):
        job.read_done(d)
    (d / "done.json").write_text(text[: len(text) // 2])
    with pytest.raises(integrity.DamagedFile, match="done.json: not valid JSON"):
        job.read_done(d)


def test_old_done_json_without_checksums_is_read_unverified(tmp_path):
    d = tmp_path / "j"
    d.mkdir()
    (d / "hparams.json").write_text(json.dumps({"training": {"lr": 0.1}}))  # an old job: no provenance section
    fio.save_torch(d / "weights_final.pt", {"w": torch.ones(3)})
    (d / "done.json").write_text(json.dumps({"final_test_accuracy": 0.7}))
    assert job.read_done(d) == {"final_test_accuracy": 0.7}
    assert integrity.check_job(d) is False
    flip_bit(d / "weights_final.pt", offset=0)  # nothing to check it against: it is unverified, not refused
    with pytest.raises(UsageError, match="corrupt weights file"):
        fio.load_torch(d / "weights_final.pt")


def test_checkpoint_carries_the_digest_of_its_payload(tmp_path):
    path = tmp_path / CHECKPOINT_FILE
    state = {"iteration": 7, "model": {"w": torch.arange(1000, dtype=torch.float32)}}
    fio.save_checkpoint(path, state)
    assert fio.load_checkpoint(path)["iteration"] == 7
    assert path.read_bytes().startswith(fio.CHECKPOINT_MAGIC)
    flip_bit(path, offset=len(path.read_bytes()) - 300)
    with pytest.raises(integrity.DamagedFile, match=r"checkpoint\.pt: its payload does not match"):
        fio.load_checkpoint(path)


def test_random_bytes_are_named_as_damaged_without_torch_advice(tmp_path):
    for name in ("checkpoint.pt", "weights_final.pt"):
        path = tmp_path / name
        path.write_bytes(bytes(range(256)) * 8)
        load = fio.load_checkpoint if name == "checkpoint.pt" else fio.load_torch
        with pytest.raises(UsageError) as info:
            load(path)
        message = str(info.value)
        assert name in message and "damaged" in message and "weights_only" not in message
        assert len(message.splitlines()) == 1


def test_write_json_refuses_non_finite_numbers(tmp_path):
    path = tmp_path / "done.json"
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(JobFailed, match=r"refusing to write .*done\.json: metrics\.1\.loss is not a finite"):
            fio.write_json(path, {"metrics": [{"loss": 1.0}, {"loss": bad}]})
    assert not path.exists() and list(tmp_path.iterdir()) == []
    fio.write_json(path, {"loss": 1.5})
    assert json.loads(path.read_text()) == {"loss": 1.5}


def test_lock_taker_removes_temporaries_and_a_checkpoint_beside_done(tmp_path):
    d = tmp_path / "j"
    d.mkdir()
    stale = d / ".weights_start.pt.ab12cd34.tmp"
    stale.write_bytes(b"half")
    finished_job(d)
    assert not stale.exists()
    (d / CHECKPOINT_FILE).write_bytes(b"left by a kill between done.json and its removal")
    job.run_once(d, {"h": 1}, lambda: pytest.fail("must not rerun"), "j", verbose=False)
    assert not (d / CHECKPOINT_FILE).exists()


def test_file_changed_after_this_process_wrote_it_fails_the_job(tmp_path):
    d = tmp_path / "j"

    def work():
        fio.save_torch(d / "weights_start.pt", {"w": torch.arange(100, dtype=torch.float32)})
        flip_bit(d / "weights_start.pt")  # the disk changes it while the job trains
        return {"final_test_accuracy": 0.5}

    with pytest.raises(JobFailed, match="weights_start.pt changed on disk"):
        job.run_once(d, {"h": 1}, work, "j", verbose=False)
    assert not (d / "done.json").exists()


def _job(directory, done=True):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hparams.json").write_text(json.dumps({"training": {"lr": 0.1}}))  # an old job: no provenance
    if done:
        (directory / "done.json").write_text("{}")
    return directory


def test_repair_takes_along_exactly_what_was_computed_from_the_damaged_job(tmp_path):
    from sparselab.analysis.reports.verify import invalidated

    rep = tmp_path / "lottery_ab12cd34" / "replicate_1"
    levels = [_job(rep / f"level_{L}" / "main") for L in range(4)]
    branch = _job(rep / "level_1" / "branch_retrain_00ff00ff")
    pretrain = _job(rep / "level_pretrain" / "main")
    assert invalidated(levels[2]) == [rep / "level_2", rep / "level_3"]
    assert invalidated(branch) == [branch]
    assert invalidated(pretrain) == [rep / "level_pretrain", *(rep / f"level_{L}" for L in range(4))]
    train = tmp_path / "train_ab12cd34" / "replicate_1"
    phase = _job(_job(train / "main") / "exploration")
    _job(train / "level_2" / "branch_oneshot_prune_00ff00ff")
    assert invalidated(phase) == [train / "main", train / "level_2"]


def test_verify_counts_old_results_as_unverified_and_damaged_ones_apart(tmp_path, capsys):
    from sparselab.analysis.reports.verify import verify

    _job(tmp_path / "old")  # a done.json without checksums
    finished_job(tmp_path / "new")
    assert verify(tmp_path, repair=False) == 0
    out = capsys.readouterr().out
    assert "2 job(s)" in out and "1 verified, 1 unverified" in out and "cannot be checked" in out
    flip_bit(tmp_path / "new" / "metrics.csv")
    assert verify(tmp_path, repair=False) == 2
    assert "damaged: " in capsys.readouterr().out
    assert verify(tmp_path, repair=True) == 0
    assert [p.name for p in tmp_path.iterdir() if ".damaged-" in p.name] and not (tmp_path / "new").exists()


@pytest.mark.parametrize("write", [
    lambda p: fio.save_torch(p, {"w": torch.arange(5000.0), "m": torch.rand(70, 3) > 0.5}),
    lambda p: fio.save_checkpoint(p, {"iteration": 3, "model": {"w": torch.ones(300)}}),
    lambda p: fio.write_json(p, {"a": [1, 2.5]}),
    lambda p: fio.atomic_write(p, lambda f: (f.write(b"abc"), f.seek(0), f.write(b"X"))),  # seeks: read back
], ids=["torch", "checkpoint", "json", "seeking writer"])
def test_the_digest_this_process_remembers_is_the_file_s(tmp_path, write) -> None:
    """Sequential writes are hashed as written (no read-back); either way the digest is the file's sha256."""
    import hashlib

    path = tmp_path / "f.bin"
    write(path)
    assert integrity._written[str(path.absolute())] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_stray_temporary_in_a_finished_job_is_removed_on_reuse(tmp_path):
    """Issue 26, class 7: the "already done" path takes no lock, so it tidies under a lock it tries."""
    d = tmp_path / "j"
    finished_job(d)
    stray = d / ".weights_final.pt.abcd1234.tmp"
    stray.write_bytes(b"half a file")
    assert finished_job(d) == {"final_test_accuracy": 0.5}
    assert not stray.exists() and job.read_done(d) == {"final_test_accuracy": 0.5}
