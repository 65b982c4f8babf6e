"""The iterative runners on digits: masks, start weights, schedules, resumption, bad input."""
from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
import torch

from sparselab import main as cli
from helpers import run_main, start_main

SHORT = ["--training_steps=2ep", "--threads=1", "--quiet"]


def run(capsys, *args: str) -> str:
    assert cli.main(list(args)) == 0
    return capsys.readouterr().out


def experiment(root: Path, command: str, *flags: str) -> Path:
    assert cli.main([command, f"--root={root}", "--print_path", *flags]) == 0
    return root  # path printed; callers use find_experiment


def find_experiment(root: Path, command: str) -> Path:
    (match,) = list(root.glob(f"{command}_*/replicate_1"))
    return match


def load(path: Path) -> dict:
    return torch.load(path, weights_only=True)


def masks(exp: Path, levels: range) -> list[dict]:
    return [load(exp / f"level_{L}" / "main" / "mask.pt") for L in levels]


@pytest.fixture(scope="module")
def lottery_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("lottery")
    assert cli.main(["lottery", f"--root={root}", "--levels=3", *SHORT]) == 0
    return find_experiment(root, "lottery")


def test_densities_follow_0_8_power_and_masks_nest(lottery_run):
    ms = masks(lottery_run, range(4))
    total = sum(m.numel() for m in ms[0].values())
    kept = [sum(int(m.sum()) for m in mask.values()) for mask in ms]
    expected = [total]
    for _ in range(3):
        expected.append(expected[-1] - round(0.2 * expected[-1]))
    assert kept == expected
    for earlier, later in zip(ms, ms[1:]):
        for name in earlier:
            assert not (later[name] & ~earlier[name]).any()
    for L in range(4):
        done = json.loads((lottery_run / f"level_{L}" / "main" / "done.json").read_text())
        assert done["density"] == pytest.approx(kept[L] / total)
        assert done["level"] == L


def test_output_layer_is_not_pruned_by_the_digits_preset(lottery_run):
    assert "fc.weight" not in masks(lottery_run, range(1))[0]


def test_saved_weights_hold_exact_zeros(lottery_run):
    for L, mask in enumerate(masks(lottery_run, range(4))):
        for fname in ("weights_start.pt", "weights_final.pt"):
            w = load(lottery_run / f"level_{L}" / "main" / fname)
            for name, m in mask.items():
                assert (w[name][~m] == 0).all(), (L, fname, name)


def test_lottery_levels_start_from_the_rewind_point(lottery_run):
    init = load(lottery_run / "level_0" / "main" / "weights_start.pt")
    for L, mask in enumerate(masks(lottery_run, range(4))):
        start = load(lottery_run / f"level_{L}" / "main" / "weights_start.pt")
        for name, value in init.items():
            expected = value * mask[name] if name in mask else value
            assert torch.equal(start[name], expected), (L, name)


@pytest.mark.parametrize("command", ["rewindLR", "finetune"])
def test_rewind_lr_and_finetune_start_from_previous_final(tmp_path, command):
    extra = ["--finetune_training_steps=1ep"] if command == "finetune" else []
    assert cli.main([command, f"--root={tmp_path}", "--levels=2", *SHORT, *extra]) == 0
    exp = find_experiment(tmp_path, command)
    for L, mask in zip(range(1, 3), masks(exp, range(1, 3))):
        previous = load(exp / f"level_{L - 1}" / "main" / "weights_final.pt")
        start = load(exp / f"level_{L}" / "main" / "weights_start.pt")
        for name, value in previous.items():
            expected = value * mask[name] if name in mask else value
            assert torch.equal(start[name], expected)
    done = json.loads((exp / "level_2" / "main" / "done.json").read_text())
    iterations_per_epoch = 23  # 1438 digits training examples / batch 64
    assert done["iterations"] == (iterations_per_epoch if command == "finetune" else 2 * iterations_per_epoch)


def test_scratch_uses_a_new_init_that_is_stable_across_restarts(tmp_path):
    for sub in ("a", "b"):
        assert cli.main(["scratch", f"--root={tmp_path / sub}", "--levels=2", *SHORT]) == 0
    a, b = find_experiment(tmp_path / "a", "scratch"), find_experiment(tmp_path / "b", "scratch")
    init0 = load(a / "level_0" / "main" / "weights_start.pt")
    for L in (1, 2):
        sa = load(a / f"level_{L}" / "main" / "weights_start.pt")
        sb = load(b / f"level_{L}" / "main" / "weights_start.pt")
        assert all(torch.equal(sa[k], sb[k]) for k in sa)
        mask = load(a / f"level_{L}" / "main" / "mask.pt")
        name = "fc_layers.0.weight"
        kept = mask[name]
        assert not torch.equal(sa[name][kept], init0[name][kept])


def test_rewinding_steps_pretrain_once_and_levels_start_there(tmp_path, capsys):
    out = run(capsys, "lottery", f"--root={tmp_path}", "--levels=1", "--rewinding_steps=10it", *SHORT)
    exp = find_experiment(tmp_path, "lottery")
    pretrained = load(exp / "level_pretrain" / "main" / "weights_final.pt")
    start0 = load(exp / "level_0" / "main" / "weights_start.pt")
    assert all(torch.equal(pretrained[k], start0[k]) for k in pretrained)
    rows = (exp / "level_1" / "main" / "metrics.csv").read_text().splitlines()
    assert rows[1].startswith("10,")  # level 1 resumes the schedule at iteration 10
    assert "level" in out


def test_extending_levels_reuses_finished_ones(tmp_path, capsys):
    run(capsys, "lottery", f"--root={tmp_path}", "--levels=1", *SHORT)
    exp = find_experiment(tmp_path, "lottery")
    before = (exp / "level_1" / "main" / "weights_final.pt").read_bytes()
    assert cli.main(["lottery", f"--root={tmp_path}", "--levels=2", "--training_steps=2ep", "--threads=1"]) == 0
    out = capsys.readouterr().out
    assert out.count("levels 0-1: already done, reused from") == 1 and out.count("already done") == 1
    assert "[level 2/2] ep" in out and "[level 1/2] ep" not in out
    assert (exp / "level_1" / "main" / "weights_final.pt").read_bytes() == before


@pytest.mark.parametrize("flags, fragment", [
    (["--pruning_strategy=biggest"], "--pruning_strategy"),
    (["--pruning_distribution=fancy"], "--pruning_distribution"),
    (["--pruning_fraction=1.0"], "--pruning_fraction must be in (0, 1)"),
    (["--pruning_fraction=0"], "--pruning_fraction must be in (0, 1)"),
    (["--levels=-1"], "--levels must be >= 0"),
    (["--pruning_layers_to_ignore=fc_layers.9.weight"], "fc_layers.9.weight"),
])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, flags, fragment):
    proc = run_main("lottery", f"--root={tmp_path}", *flags, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_sigkill_in_level_2_resumes_and_matches_uninterrupted(tmp_path):
    flags = ["--levels=2", "--training_steps=8ep", "--batch_size=8", "--lr=0.01", "--threads=1"]
    run_main("lottery", f"--root={tmp_path / 'ref'}", *flags, "--quiet")
    ref = find_experiment(tmp_path / "ref", "lottery")
    proc = start_main("lottery", f"--root={tmp_path / 'k'}", *flags, "--quiet", "--checkpoint_seconds=0")
    metrics = None
    deadline = time.time() + 240
    while time.time() < deadline:
        found = list((tmp_path / "k").glob("lottery_*/replicate_1/level_2/main/metrics.csv"))
        if found and len(found[0].read_text().splitlines()) >= 4:  # written with each epoch's checkpoint
            metrics = found[0]
            break
        assert proc.poll() is None, "finished before it could be killed"
        time.sleep(0.01)
    assert metrics is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    exp = find_experiment(tmp_path / "k", "lottery")
    assert not (exp / "level_2" / "main" / "done.json").exists()
    stamps = {L: (exp / f"level_{L}" / "main" / "done.json").stat().st_mtime_ns for L in (0, 1)}
    out = run_main("lottery", f"--root={tmp_path / 'k'}", *flags).stdout
    assert "resuming from" in out and "[level 1/" not in out and "[level 0/" not in out
    assert {L: (exp / f"level_{L}" / "main" / "done.json").stat().st_mtime_ns for L in (0, 1)} == stamps
    for L in range(3):
        a = json.loads((ref / f"level_{L}" / "main" / "done.json").read_text())
        b = json.loads((exp / f"level_{L}" / "main" / "done.json").read_text())
        for key in ("final_test_accuracy", "final_test_loss", "density", "final_train_loss"):
            assert a[key] == b[key], (L, key)
