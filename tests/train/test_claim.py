"""`job.claim`: a job's lock, hparams.json, work and done.json as one `with` block (the level runner runs
its levels in it, adding no call frame between the runner and the training loop)."""
from __future__ import annotations

import json

import pytest

from sparselab.core import io as fio
from sparselab.train import job


def test_a_claimed_job_is_sealed_after_its_block_and_then_reused(tmp_path):
    d = tmp_path / "j"
    with job.claim(d, {"h": 1}, "j", verbose=False) as c:
        assert c.todo and (d / job.HPARAMS_FILE).exists() and not job.is_done(d)
        c.finish({"acc": 0.5})
        assert not job.is_done(d)  # done.json is written last, after the work's block
    assert c.result == {"acc": 0.5} and job.read_done(d) == {"acc": 0.5}
    assert json.loads((d / job.HPARAMS_FILE).read_text())["h"] == 1
    with job.claim(d, {"h": 1}, "j", verbose=False) as again:
        assert not again.todo
    assert again.result == {"acc": 0.5}


def test_failed_work_leaves_no_marker_and_frees_the_lock(tmp_path):
    d = tmp_path / "j"
    with pytest.raises(RuntimeError, match="boom"):
        with job.claim(d, {}, "j", verbose=False) as c:
            raise RuntimeError("boom")
    assert not job.is_done(d)
    lock = fio.try_lock(d, timeout=0)
    assert lock is not None
    lock.release()
    with pytest.raises(AssertionError, match="did not finish"):
        with job.claim(d, {}, "j", verbose=False) as c:
            assert c.todo  # the unfinished job is taken again; a block that does not finish it fails
    assert not job.is_done(d)


def test_described_names_folders_and_records_from_the_bundles(tmp_path):
    from sparselab.train.hparams import TrainingHparams

    described = job.Described("train", {"training": TrainingHparams(lr=0.5)})
    other = job.Described("train", {"training": TrainingHparams(lr=0.25)})
    assert described.name.startswith("train_") and described.name != other.name
    assert described.replicate(tmp_path, 2).parent == described.folder(tmp_path) == tmp_path / described.name
    record = described.record(pf_member={"index": 1})
    assert record["training"]["lr"] == 0.5 and record["pf_member"] == {"index": 1}
