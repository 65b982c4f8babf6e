"""--tensorboard: the same metrics as metrics.csv in TensorBoard event files, or a clear error."""
from __future__ import annotations

import importlib.util

from helpers import run_main


def test_tensorboard_logs_or_explains(tmp_path):
    proc = run_main("train", f"--root={tmp_path}", "--training_steps=2ep", "--tensorboard", "--quiet", check=False)
    if importlib.util.find_spec("tensorboard") is None:
        assert proc.returncode == 2 and "pip install tensorboard" in proc.stderr
        assert list(tmp_path.iterdir()) == []
        return
    assert proc.returncode == 0, proc.stderr
    (events,) = tmp_path.glob("train_*/replicate_1/main/tensorboard/events.out.tfevents.*")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(events.parent))
    acc.Reload()
    assert {"test_accuracy", "test_loss", "train_loss", "lr"} <= set(acc.Tags()["scalars"])
    assert [e.step for e in acc.Scalars("test_accuracy")] == [0, 23, 46]


def test_tensorboard_does_not_change_the_directory(tmp_path):
    from sparselab.training.hparams import TrainingHparams

    assert TrainingHparams.__dataclass_fields__["tensorboard"].metadata["hashed"] is False
    if importlib.util.find_spec("tensorboard") is not None:  # --tensorboard is refused without the package
        a = run_main("train", f"--root={tmp_path}", "--print_path").stdout
        b = run_main("train", f"--root={tmp_path}", "--print_path", "--tensorboard").stdout
        assert a == b and a.strip().endswith("/main")
