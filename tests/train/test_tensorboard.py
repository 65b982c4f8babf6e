"""--tensorboard: the same metrics as metrics.csv in TensorBoard event files, or a clear error."""
from __future__ import annotations

import importlib.util

from helpers import run_main
from sparselab.main import main


def test_tensorboard_logs_or_explains(tmp_path):
    proc = run_main("train", f"--root={tmp_path}", "--training_steps=2ep", "--loggers=tensorboard", "--quiet", check=False)
    if importlib.util.find_spec("tensorboard") is None:
        assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
            "error: --loggers=tensorboard needs the tensorboard package: pip install tensorboard"]
        assert list(tmp_path.iterdir()) == []
        return
    assert proc.returncode == 0, proc.stderr
    (events,) = tmp_path.glob("train_*/replicate_1/main/tensorboard/events.out.tfevents.*")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(events.parent))
    acc.Reload()
    assert {"test/accuracy", "test/loss", "train/loss", "run/lr"} <= set(acc.Tags()["scalars"])
    assert [e.step for e in acc.Scalars("test/accuracy")] == [0, 23, 46]


def test_tensorboard_does_not_change_the_directory(tmp_path, monkeypatch, capsys):
    """On versus off (not the default against itself): the flag is read, and the job directory is the same."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "tensorboard" else real(name, *a))
    paths = []
    for extra in ([], ["--loggers=tensorboard"]):
        assert main(["train", f"--root={tmp_path}", "--print_path", *extra]) == 0
        paths.append(capsys.readouterr().out)
    assert paths[0] == paths[1] and "train_" in paths[0]
