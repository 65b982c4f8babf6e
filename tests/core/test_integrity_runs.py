"""A flipped bit never becomes a published number: resume, branch, extension and report refuse it; a
kill inside a checkpoint write, or SIGTERM, leaves nothing behind and the rerun equals an uninterrupted run."""
from __future__ import annotations

import json
import shutil
import signal
import time

import pytest
import torch

from helpers import run_main, start_main
from integrity_helpers import flip_bit, one, run_killed_at_checkpoint, temporaries

TRUNK = ("--training_steps=2it",)
EVERY_EPOCH = "--checkpoint_seconds=0"  # kill tests need checkpoints to kill in (default: every 600 s and at the end)
LEVEL0 = "lottery_*/replicate_1/level_0/main"


def one_error_line(proc, *fragments: str) -> str:
    lines = [line for line in proc.stderr.strip().splitlines() if line]
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def finished_trunk(tmp_path_factory):
    root = tmp_path_factory.mktemp("trunk")
    run_main("lottery", "--levels=1", f"--root={root}", *TRUNK)
    return root


def damaged_copy(finished_trunk, tmp_path, name: str):
    root = tmp_path / "r"
    shutil.copytree(finished_trunk, root)
    flip_bit(one(root, f"{LEVEL0}/{name}"))
    return root


def test_flipped_weights_final_refused_by_extension_branch_report_and_verify(finished_trunk, tmp_path):
    root = damaged_copy(finished_trunk, tmp_path, "weights_final.pt")
    damaged = "level_0/main/weights_final.pt"
    one_error_line(run_main("lottery", "--levels=2", f"--root={root}", *TRUNK, check=False), damaged, "--repair")
    assert not list(root.glob("lottery_*/replicate_1/level_2/main/done.json"))
    one_error_line(run_main("lottery_branch", "oneshot_prune", "--levels=1", f"--root={root}", *TRUNK, check=False),
                   damaged)
    report = run_main("report", "lottery", "--levels=1", f"--root={root}", *TRUNK, check=False)
    one_error_line(report, damaged)
    assert "(DAMAGED)" in report.stdout and "44.29" not in report.stdout.splitlines()[4]
    listing = run_main("list", f"--root={root}")  # level 1 too: it was computed from the damaged file
    assert "0/2 (2 DAMAGED)" in listing.stdout, listing.stdout
    verify = run_main("verify", f"--root={root}", check=False)
    assert verify.returncode == 2 and "2 damaged" in verify.stdout and damaged.split("/")[-1] in verify.stdout


def test_changed_value_in_weights_start_stops_the_extension(finished_trunk, tmp_path):
    """Level 0's start weights are the rewind point of every later level."""
    root = tmp_path / "r"
    shutil.copytree(finished_trunk, root)
    path = one(root, f"{LEVEL0}/weights_start.pt")
    state = torch.load(path, weights_only=True)
    name = next(iter(state))
    state[name].view(-1)[0] += 1e-3
    torch.save(state, path)
    one_error_line(run_main("lottery", "--levels=2", f"--root={root}", *TRUNK, check=False),
                   "level_0/main/weights_start.pt")


def test_repair_moves_the_damaged_level_and_later_ones_aside_and_the_rerun_reproduces(finished_trunk, tmp_path):
    root = damaged_copy(finished_trunk, tmp_path, "mask.pt")
    repair = run_main("verify", f"--root={root}", "--repair")
    assert "moved aside" in repair.stdout and len(list(root.glob("lottery_*/replicate_1/level_*.damaged-*"))) == 2
    run_main("lottery", "--levels=1", f"--root={root}", *TRUNK)
    assert "0 damaged" in run_main("verify", f"--root={root}").stdout
    for level in (0, 1):
        pattern = f"lottery_*/replicate_1/level_{level}/main/"
        for name in ("weights_final.pt", "mask.pt"):
            assert one(root, pattern + name).read_bytes() == one(finished_trunk, pattern + name).read_bytes()


@pytest.fixture(scope="module")
def reference_train(tmp_path_factory):
    root = tmp_path_factory.mktemp("ref")
    run_main("train", "--training_steps=3ep", f"--root={root}")
    return one(root, "train_*/replicate_1/main")


def assert_same_results(job_dir, reference):
    for name in ("weights_final.pt", "weights_start.pt"):
        a, b = (torch.load(d / name, weights_only=True) for d in (job_dir, reference))
        assert all(torch.equal(a[k], b[k]) for k in a), name
    got, ref = (json.loads((d / "done.json").read_text()) for d in (job_dir, reference))
    for key in ("final_test_accuracy", "final_test_loss", "best_test_accuracy", "final_train_loss"):
        assert got[key] == ref[key], key
    curves = [[r.split(",")[:3] for r in (d / "metrics.csv").read_text().splitlines()] for d in (job_dir, reference)]
    assert curves[0] == curves[1]


def test_kill_inside_a_checkpoint_write_leaves_nothing_and_the_rerun_equals_an_uninterrupted_run(
        tmp_path, reference_train):
    killed = run_killed_at_checkpoint(2, "train", "--training_steps=3ep", f"--root={tmp_path}", EVERY_EPOCH)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert [p.name.startswith(".checkpoint.pt.") for p in temporaries(tmp_path)] == [True]
    d = one(tmp_path, "train_*/replicate_1/main")
    assert not (d / "done.json").exists()
    out = run_main("train", "--training_steps=3ep", f"--root={tmp_path}").stdout
    assert "resuming from" in out and "at iteration" in out
    assert temporaries(tmp_path) == [] and not (d / "checkpoint.pt").exists()
    assert_same_results(d, reference_train)


def test_flipped_bit_in_a_checkpoint_or_an_input_of_an_interrupted_job_is_recomputed(tmp_path, reference_train):
    """The journal recorded each file's digest when it was written: a file that no longer matches is
    deleted and recomputed by the rerun, never reused and sealed (issue 26, class 1)."""
    for name in ("checkpoint.pt", "weights_start.pt"):
        root = tmp_path / name
        run_killed_at_checkpoint(2, "train", "--training_steps=3ep", f"--root={root}", EVERY_EPOCH)
        flip_bit(one(root, f"train_*/replicate_1/main/{name}"))
        proc = run_main("train", "--training_steps=3ep", f"--root={root}")
        assert f"main/{name}: its sha256 does not match the one recorded when it was written; recomputing" \
            in proc.stdout, proc.stdout
        assert_same_results(one(root, "train_*/replicate_1/main"), reference_train)


@pytest.mark.slow
def test_sigterm_prints_one_line_and_the_rerun_equals_an_uninterrupted_run(tmp_path):
    flags = ("--levels=2", "--training_steps=3ep")
    reference = tmp_path / "ref"
    run_main("lottery", *flags, f"--root={reference}")
    root = tmp_path / "term"
    proc = start_main("lottery", *flags, f"--root={root}", EVERY_EPOCH)
    while not list(root.glob("lottery_*/replicate_1/level_*/main/checkpoint.pt")) and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "terminated (SIGTERM); rerun the same command to resume"
    assert temporaries(root) == []
    out = run_main("lottery", *flags, f"--root={root}").stdout
    assert "resuming from" in out
    for level in range(3):
        assert_same_results(one(root, f"lottery_*/replicate_1/level_{level}/main"),
                            one(reference, f"lottery_*/replicate_1/level_{level}/main"))
