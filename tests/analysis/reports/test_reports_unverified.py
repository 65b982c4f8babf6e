"""Issue 26 (second pass): a job finished before checksums existed is shown, marked "unverified", and
left out of the means unless `report --include_unverified` asks for it."""
from __future__ import annotations

import json

import pytest

from helpers import call_main
from sparselab.core import integrity, layout

RUN = ["train", "--training_steps=1it", "--threads=1", "--quiet"]


def _as_written_before_checksums(job, accuracy: float) -> None:
    """done.json without its integrity record, hparams.json without its provenance section."""
    hparams = json.loads((job / layout.HPARAMS).read_text())
    hparams.pop(integrity.PROVENANCE_KEY)
    (job / layout.HPARAMS).write_text(json.dumps(hparams))
    done = json.loads((job / layout.DONE).read_text())
    done.pop(integrity.INTEGRITY_KEY)
    done["final_test_accuracy"] = accuracy
    (job / layout.DONE).write_text(json.dumps(done))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    assert call_main([*RUN, f"--root={root}", "--replicates=1-2"])[0] == 0
    (experiment,) = root.glob("train_*")
    _as_written_before_checksums(layout.train_dir(experiment / "replicate_2"), 0.99)
    verified = json.loads((layout.train_dir(experiment / "replicate_1") / layout.DONE).read_text())
    return root, verified["final_test_accuracy"]


def _summary(root, *more):
    status, out, err = call_main(["report", *RUN, f"--root={root}", "--replicates=1-2", "--json=-", *more])
    assert status == 0, err
    report = json.loads(out)
    (summary,) = report["summary"]
    return report["rows"], summary


def test_unverified_jobs_are_marked_and_left_out_of_means(runs):
    root, accuracy = runs
    rows, summary = _summary(root)
    assert sorted(r["status"] for r in rows) == ["done", "unverified"]
    assert [r["final_test_accuracy"] for r in rows if r["status"] == "unverified"] == [0.99]
    assert summary["n"] == 1 and summary["final_test_accuracy"] == accuracy


def test_the_text_report_says_unverified_and_not_averaged(runs):
    root, _ = runs
    status, out, _ = call_main(["report", *RUN, f"--root={root}", "--replicates=1-2"])
    assert status == 0
    assert "(unverified)" in out and "99.00" in out
    assert "1 job(s) finished before checksums existed" in out and "left out of the means" in out


def test_include_unverified_averages_them_still_marked(runs):
    root, accuracy = runs
    rows, summary = _summary(root, "--include_unverified")
    assert summary["n"] == 2 and summary["final_test_accuracy"] == pytest.approx((accuracy + 0.99) / 2)
    status, out, _ = call_main(["report", *RUN, f"--root={root}", "--replicates=1-2", "--include_unverified"])
    assert status == 0 and "(unverified, averaged)" in out and "averaged as asked" in out


def test_help_says_so():
    status, out, _ = call_main(["report", "--help"])
    assert "--include_unverified" in out and "unverified" in out
