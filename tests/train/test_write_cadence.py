"""What a training job writes, counted (never timed): checkpoints on a time basis, at the end of a job with a
minute of unsaved training and on a held SIGTERM; metrics.csv with the checkpoints and at the end; the
predictions digest from the final evaluation."""
from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest
import torch

from sparselab import main as cli
from sparselab.core import io as fio
from sparselab.train import standard
from sparselab.train.evaluate import digest_of, predict
from sparselab.train.loop import BaseHook
from sparselab.train.progress import Cadence, Progress
from sparselab.train.signals import held_signals

TINY = ["--training_steps=3ep", "--batch_size=256", "--threads=1", "--quiet"]  # 6 iterations per epoch


def written(monkeypatch) -> Counter:
    """Counts atomic writes by file name for the rest of the test."""
    counts: Counter = Counter()
    real = fio.atomic_write

    def counting(path, write, **how):
        counts[Path(path).name] += 1
        return real(path, write, **how)

    monkeypatch.setattr(fio, "atomic_write", counting)
    return counts


@pytest.mark.parametrize("flags, checkpoints, metrics", [([], 0, 1), (["--checkpoint_seconds=0"], 3, 3)])
def test_checkpoints_and_metrics_are_written_per_cadence(tmp_path, monkeypatch, flags, checkpoints, metrics):
    counts = written(monkeypatch)
    assert cli.main(["train", f"--root={tmp_path}", *TINY, *flags]) == 0
    # default: a job of seconds writes no checkpoint (its end is not worth one) and metrics.csv once, at the
    # end; 0: a checkpoint and metrics.csv at each of the 3 epoch ends
    assert counts["checkpoint.pt"] == checkpoints
    assert counts["metrics.csv"] == metrics
    rows = next(tmp_path.rglob("metrics.csv")).read_text().splitlines()
    assert len(rows) == 1 + 4  # header, start and three epochs: nothing lost by writing it less often


def test_negative_checkpoint_seconds_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["train", f"--root={tmp_path}", *TINY, "--checkpoint_seconds=-1"])
    assert exit.value.code == 2
    assert "--checkpoint_seconds must be >= 0" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cadence_by_hand(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("sparselab.train.progress.time.monotonic", lambda: now[0])
    every_epoch, timed = Cadence(0), Cadence(600)
    assert every_epoch.checkpoint_due(True) and not every_epoch.checkpoint_due(False)
    now[0] = 699.0
    assert not timed.checkpoint_due(True) and timed.metrics_due()
    now[0] = 700.0
    assert timed.checkpoint_due(False)  # mid-epoch too
    timed.checkpointed()
    assert not timed.checkpoint_due(True)
    now[0] = 759.0  # the end: checkpointed once a minute of training is unsaved (or the cadence, if shorter)
    assert not timed.checkpoint_due(True, at_end=True)
    now[0] = 760.0
    assert timed.checkpoint_due(True, at_end=True) and not timed.checkpoint_due(True)
    assert Cadence(30).checkpoint_due(True, at_end=True) is False
    now[0] = 790.0
    assert Cadence(600).checkpoint_due(False, at_end=True) is False and every_epoch.checkpoint_due(True, at_end=True)


def test_eta_counts_timed_checkpoints():
    p = Progress(0, 100, 10, checkpoint_every=30.0)
    p.add_eval(1.0)
    p.add_checkpoint(2.0)
    # 100 iterations at 1 s: 100 s of steps + 10 points x 1 s + (1 + 100 // 30 = 4) checkpoints x 2 s
    assert p.eta(0, 1.0)[0] == 100 + 10 + 8
    assert Progress(0, 100, 10).eta(0, 0.0)[0] == 0  # nothing measured yet


class SignalAt(BaseHook):
    """Sends this process a SIGTERM inside the optimiser step of one iteration."""

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def before_optimizer_step(self, model, optimizer, iteration) -> None:
        if iteration == self.iteration:
            os.kill(os.getpid(), signal.SIGTERM)


class Stopped(Exception):
    pass


def _raise(signum, frame):
    raise Stopped()


def _train(directory: Path, hooks=()) -> dict:
    from sparselab.data.hparams import DatasetHparams
    from sparselab.core.cli import JobHparams
    from sparselab.models.hparams import ModelHparams
    from sparselab.platforms.base import PlatformHparams
    from sparselab.train.experiment import Experiment
    from sparselab.train.hparams import TrainingHparams

    exp = Experiment.create(PlatformHparams(device="cpu", threads=1), JobHparams(quiet=True))
    exp.load_data(DatasetHparams(batch_size=256), "fp32")
    model = exp.build_model(ModelHparams(), seed=1)
    return standard.train_in_directory(directory, model, exp.env, TrainingHparams(lr=0.05, training_steps="3ep"),
                                       hooks=list(hooks))


def test_sigterm_is_held_to_the_end_of_the_step_and_checkpointed(tmp_path):
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        with pytest.raises(Stopped):
            _train(tmp_path / "b", [SignalAt(8)])  # mid-epoch 2, far from any timed checkpoint
        with held_signals():
            assert signal.getsignal(signal.SIGTERM) is not _raise
        assert signal.getsignal(signal.SIGTERM) is _raise  # the loop put the handler back
    finally:
        signal.signal(signal.SIGTERM, previous)
    state = fio.load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert state["iteration"] == 9  # the step of iteration 8 finished, then the checkpoint
    resumed = _train(tmp_path / "b")
    reference = _train(tmp_path / "a")
    assert resumed["final_test_loss"] == reference["final_test_loss"]
    a, b = (fio.load_torch(tmp_path / d / "weights_final.pt") for d in ("a", "b"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_sigterm_in_the_last_step_checkpoints_the_end(tmp_path):
    """The end of a short job is not checkpointed, unless a signal stops it there: then the rerun finishes
    the job from that checkpoint without training again."""
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        with pytest.raises(Stopped):
            _train(tmp_path / "b", [SignalAt(17)])  # 3 epochs x 6 iterations: 17 is the last step
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert fio.load_checkpoint(tmp_path / "b" / "checkpoint.pt")["iteration"] == 18
    resumed, reference = _train(tmp_path / "b"), _train(tmp_path / "a")
    assert resumed["final_test_loss"] == reference["final_test_loss"]
    a, b = (fio.load_torch(tmp_path / d / "weights_final.pt") for d in ("a", "b"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_predictions_digest_comes_from_the_final_evaluation(tmp_path, monkeypatch):
    def no_extra_pass(*a, **k):
        raise AssertionError("an extra test-set pass for the digest")

    monkeypatch.setattr(standard, "prediction_digest", no_extra_pass)
    result = _train(tmp_path)
    from sparselab.data.hparams import DatasetHparams
    from sparselab.core.cli import JobHparams
    from sparselab.models.hparams import ModelHparams
    from sparselab.platforms.base import PlatformHparams
    from sparselab.train.experiment import Experiment

    exp = Experiment.create(PlatformHparams(device="cpu", threads=1), JobHparams(quiet=True))
    exp.load_data(DatasetHparams(batch_size=256), "fp32")
    model = exp.build_model(ModelHparams(), seed=1)
    model.load_state_dict(fio.load_torch(tmp_path / "weights_final.pt"))
    batches = exp.env.data.eval_batches("test", torch.device("cpu"), False, 1024)
    assert result["final_test_predictions_sha256"] == digest_of(predict(model, batches())[0])
