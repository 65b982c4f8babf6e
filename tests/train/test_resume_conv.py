"""A convolutional net in channels_last resumes bit-identically from a checkpoint taken mid-run."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sparselab.data.loader import EvalLoader, TrainLoader
from sparselab.models import registry
from sparselab.train.hparams import TrainingHparams
from sparselab.train.loop import TrainSetup, train
from sparselab.train.standard import uses_channels_last


def run(directory: Path, stops: list[int]) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (96, 3, 8, 8), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 10, (96,), generator=g)
    device = torch.device("cpu")
    model = registry.build("cifar_resnet_8", (3, 8, 8), 10, seed=1)
    assert uses_channels_last(model, device)
    model = model.to(memory_format=torch.channels_last)
    hparams = TrainingHparams(lr=0.05, momentum=0.9, weight_decay=1e-4, training_steps="4ep")
    loader = TrainLoader(images, labels, 16, device, 3, 4, "crop_flip", (0.5,) * 3, (0.25,) * 3, channels_last=True)
    test = EvalLoader(images[:32], labels[:32], 64, device, (0.5,) * 3, (0.25,) * 3, channels_last=True)
    for stop in stops:  # each call is a new process's worth of training, resuming from the checkpoint
        fresh = registry.build("cifar_resnet_8", (3, 8, 8), 10, seed=1).to(memory_format=torch.channels_last)
        setup = TrainSetup(model=fresh, hparams=hparams, train_loader=loader, test_batches=lambda: iter(test),
                           out_dir=directory, device=device, start_iteration=0, end_iteration=stop, verbose=False)
        train(setup)
        model = fresh
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_resume_is_bit_identical(tmp_path):
    straight = run(tmp_path / "a", [24])
    resumed = run(tmp_path / "b", [6, 13, 24])  # stops at an epoch end and mid-epoch
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)


def train_losses(directory: Path) -> list[tuple[int, float]]:
    from sparselab.train.metrics import read_metrics

    return [(r["iteration"], r["train_loss"]) for r in read_metrics(directory / "metrics.csv")
            if r.get("train_loss") is not None]


class Stop(Exception):
    pass


def test_resumed_mid_epoch_train_loss_equals_the_uninterrupted_one_exactly(tmp_path, monkeypatch):
    """Issue 26, class 6: checkpoints inside an epoch (here after every step) and a signal at iteration 14
    leave the interrupted epoch's loss sum in the uninterrupted order: train_loss equal to the last bit."""
    import os
    import signal

    from sparselab.train import loop

    run(tmp_path / "a", [24])
    original_step, stopped = loop._step, []

    def step(s, model, forward_model, optimizer, scaler, lr, iteration, *rest):
        out = original_step(s, model, forward_model, optimizer, scaler, lr, iteration, *rest)
        if iteration == 14 and not stopped:
            stopped.append(iteration)
            os.kill(os.getpid(), signal.SIGUSR2)  # held by the loop to the end of the step, then raised
        return out

    def stop(signum, frame):
        raise Stop

    monkeypatch.setattr(loop, "_step", step)
    monkeypatch.setattr(loop.Cadence, "checkpoint_due", lambda self, at_point, ends=False: True)
    previous = signal.signal(signal.SIGUSR2, stop)
    try:
        with pytest.raises(Stop):
            run(tmp_path / "b", [24])
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert (tmp_path / "b" / "checkpoint.pt").exists() and stopped == [14]
    run(tmp_path / "b", [24])  # resumes at iteration 15
    straight, resumed = train_losses(tmp_path / "a"), train_losses(tmp_path / "b")
    assert len(straight) == 4 and straight == resumed  # floats compared exactly, as written (repr)
