"""`report --tensorboard_dir DIR`: every numeric metrics.csv column of every job, keyed by iteration
(a fake SummaryWriter here), or one error line without the tensorboard package."""
from __future__ import annotations

import importlib.util

import pytest

import reports_fakes as fakes
from sparselab.core.errors import UsageError
from sparselab.analysis.reports import outputs
from sparselab.analysis.reports.command import ReportCommand


class FakeWriter:
    made: list["FakeWriter"] = []

    def __init__(self, logdir):
        self.logdir, self.scalars, self.closed, self.summaries = logdir, [], False, []
        self.file_writer = self  # where the HParams summaries go
        FakeWriter.made.append(self)

    def add_summary(self, summary):
        self.summaries.append(summary)

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, step, value))

    def close(self):
        self.closed = True


def test_backfill_writes_each_job(tmp_path, monkeypatch, capsys):
    pytest.importorskip("tensorboard")  # the hparams summary is built by tensorboard's own code
    FakeWriter.made = []
    monkeypatch.setattr(outputs, "summary_writer", lambda: FakeWriter)
    experiment = fakes.lottery(tmp_path, {1: [0.9, 0.8], 2: [0.91]})
    assert ReportCommand.main(["--path", str(experiment), "--tensorboard_dir", str(tmp_path / "tb")]) == 0
    names = sorted(w.logdir.removeprefix(str(tmp_path / "tb") + "/") for w in FakeWriter.made)
    # replicate 2 has no level 1: nothing is made up for it
    assert names == [f"{experiment.name}/replicate_1/level_0/main", f"{experiment.name}/replicate_1/level_1/main",
                     f"{experiment.name}/replicate_2/level_0/main"]
    writer = next(w for w in FakeWriter.made if w.logdir.endswith("replicate_1/level_1/main"))
    accuracy = [(step, value) for tag, step, value in writer.scalars if tag == "test/accuracy"]
    assert accuracy == [(0, pytest.approx(0.1)), (10, pytest.approx(0.275)), (20, pytest.approx(0.45)),
                        (30, pytest.approx(0.625)), (40, pytest.approx(0.8))]
    assert all(w.closed for w in FakeWriter.made)
    assert all(len(w.summaries) == 3 for w in FakeWriter.made)  # HParams: experiment, session start and end
    assert "(3 job(s))" in capsys.readouterr().out


def test_backfill_without_tensorboard_is_one_error(tmp_path, capsys):
    if importlib.util.find_spec("tensorboard") is not None:
        pytest.skip("tensorboard is installed")
    experiment = fakes.lottery(tmp_path, {1: [0.9]})
    with pytest.raises(UsageError, match=r"^--tensorboard_dir needs the tensorboard package: pip install tensorboard$"):
        ReportCommand.main(["--path", str(experiment), "--tensorboard_dir", str(tmp_path / "tb")])
    assert capsys.readouterr().out == "" and not (tmp_path / "tb").exists()
