"""End-to-end behaviour of `python main.py train` on the embedded digits dataset."""
from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
import torch

from helpers import run_main, start_main

FAST = ["--training_steps=3ep", "--threads=1"]


def job_dir(root: Path, *flags: str) -> Path:
    return Path(run_main("train", f"--root={root}", "--print_path", *flags).stdout.strip())


def test_train_then_already_done(tmp_path):
    first = run_main("train", f"--root={tmp_path}", *FAST)
    assert "result: final test accuracy" in first.stdout
    d = job_dir(tmp_path, *FAST)
    done = json.loads((d / "done.json").read_text())
    assert done["final_test_accuracy"] > 0.85
    assert {"hparams.json", "metrics.csv", "weights_start.pt", "weights_final.pt"} <= {p.name for p in d.iterdir()}
    assert not (d / "checkpoint.pt").exists()
    lines = (d / "metrics.csv").read_text().splitlines()
    assert lines[0].startswith("iteration,") and len(lines) == 1 + 4  # start + 3 epochs
    again = run_main("train", f"--root={tmp_path}", *FAST)
    assert "already done" in again.stdout
    assert json.loads((d / "done.json").read_text()) == done


def test_default_digits_reaches_95_percent(tmp_path):
    run_main("train", f"--root={tmp_path}", "--quiet")
    done = json.loads((job_dir(tmp_path) / "done.json").read_text())
    assert done["final_test_accuracy"] >= 0.95


def test_flag_order_and_explicit_defaults_share_a_directory(tmp_path):
    a = job_dir(tmp_path, "--lr=0.02", "--batch_size=32")
    b = job_dir(tmp_path, "--batch_size=32", "--lr=0.02", "--optimizer_name=sgd", "--device=cpu", "--quiet")
    c = job_dir(tmp_path, "--batch_size=32", "--lr=0.03")
    d = job_dir(tmp_path, "--batch_size=32", "--lr=0.02", "--replicate=2")
    assert a == b
    assert c.parent.parent != a.parent.parent
    assert d.parent.parent == a.parent.parent and d != a


@pytest.mark.parametrize("flags, fragment", [
    (["--dataset_name=imagenet9"], "unknown"),
    (["--model_name=resnet_x"], "unknown --model_name"),
    (["--optimizer_name=rmsprop"], "choose from"),
    (["--training_steps=3epochs"], "malformed step"),
    (["--lr=-0.1"], "--lr must be positive"),
    (["--dataset_name=mnist", "--dataset_root=/nonexistent"], "not found"),
    (["--unknown_flag=1"], "unrecognized arguments"),
    (["--device=cuda:7"], "--device"),
    (["--precision=fp16", "--device=cpu"], "fp16"),
    (["--noisy_labels_type=gaussian", "--noisy_labels_fraction=0.2"], "--noisy_labels_type"),
    (["--noisy_labels_type=asymmetric", "--noisy_labels_fraction=0.2"], "digits"),
    (["--random_labels_fraction=1.5"], "--random_labels_fraction must be in [0, 1]"),
    (["--noisy_labels_type=symmetric"], "must be given together"),
    (["--random_labels_fraction=0.2", "--noisy_labels_type=symmetric", "--noisy_labels_fraction=0.2"], "not both"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, flags, fragment):
    proc = run_main("train", f"--root={tmp_path}", *flags, check=False)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_the_job_never_wrote_is_named_and_recomputed(tmp_path):
    """Its journal does not vouch for it (issue 26, class 4): the rerun drops it instead of failing for ever."""
    d = job_dir(tmp_path, *FAST)
    d.mkdir(parents=True)
    (d / "checkpoint.pt").write_bytes(b"not a checkpoint")
    proc = run_main("train", f"--root={tmp_path}", *FAST)
    assert "checkpoint.pt: not recorded in the job's journal when it was written; recomputing it" in proc.stdout
    assert (d / "done.json").exists() and not (d / "checkpoint.pt").exists()


def _wait_for_rows(path: Path, rows: int, proc, timeout: float = 120) -> None:
    start = time.time()
    while time.time() - start < timeout:
        if path.exists() and len(path.read_text().splitlines()) >= rows + 1:
            return
        if proc.poll() is not None:
            raise AssertionError("training finished before it could be killed")
        time.sleep(0.01)
    raise AssertionError("training made no progress")


def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path):
    flags = ["--training_steps=12ep", "--batch_size=4", "--threads=1"]
    reference_root, killed_root = tmp_path / "ref", tmp_path / "killed"
    run_main("train", f"--root={reference_root}", *flags)
    d = job_dir(killed_root, *flags)
    proc = start_main("train", f"--root={killed_root}", *flags, "--checkpoint_seconds=0")  # one per epoch
    _wait_for_rows(d / "metrics.csv", 4, proc)  # written with each checkpoint: three epochs checkpointed
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (d / "done.json").exists() and (d / "checkpoint.pt").exists()
    resumed = run_main("train", f"--root={killed_root}", *flags)
    ref_dir = job_dir(reference_root, *flags)
    ref = json.loads((ref_dir / "done.json").read_text())
    got = json.loads((d / "done.json").read_text())
    for key in ("final_test_accuracy", "final_test_loss", "best_test_accuracy", "final_train_loss"):
        assert got[key] == ref[key], key
    ref_w = torch.load(ref_dir / "weights_final.pt", weights_only=True)
    got_w = torch.load(d / "weights_final.pt", weights_only=True)
    assert all(torch.equal(ref_w[k], got_w[k]) for k in ref_w)
    assert "resuming from" in resumed.stdout


def test_two_processes_on_one_job_train_it_once(tmp_path):
    flags = [f"--root={tmp_path}", "--training_steps=6ep", "--batch_size=8", "--threads=1"]
    procs = [start_main("train", *flags) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    stdout = [o[0] for o in outs]
    trained = [s for s in stdout if "ep   1.00/6" in s]
    assert len(trained) == 1, stdout
    assert sum("already done" in s for s in stdout) == 1
    d = job_dir(tmp_path, *flags[1:])
    json.loads((d / "done.json").read_text())
    torch.load(d / "weights_final.pt", weights_only=True)
