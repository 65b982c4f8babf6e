"""Every bad input is ONE line on stderr starting `error:`, the right exit status, and no job file.

The table runs in-process through `main.main(argv)` (fast); a few rows also run as subprocesses to
show that no traceback reaches the user. `{root}` is the results root of the case, `{file}` a plain
file, `{long}` a 300-character name.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import torch

from sparselab import main as cli
from tests.helpers import run_main

FAST = ["--threads=1", "--quiet"]
BIG = "9" * 5000

# (argv, exit status, a piece of the message)
CASES: list[tuple[list[str], int, str]] = [
    # steps
    (["train", "--training_steps=0ep"], 2, "zero iterations"),
    (["train", "--training_steps=0it"], 2, "zero iterations"),
    (["train", "--training_steps=\uff14ep"], 2, "ASCII"),
    (["train", "--training_steps=\u0664ep"], 2, "ASCII"),
    (["train", "--training_steps=4ep2ep"], 2, "malformed step"),
    (["train", "--training_steps="], 2, "malformed step"),
    (["train", "--training_steps=2.5ep"], 2, "malformed step"),
    (["train", f"--training_steps={BIG}it"], 2, "too large"),
    (["train", "--training_steps=2000000000it"], 2, "too large"),
    (["train", "--training_steps=50000000ep"], 2, "more than"),
    (["train", "--warmup_steps=100ep", "--training_steps=2it"], 2, "warmup_steps=100ep"),
    (["train", "--warmup_steps=20ep"], 2, "does not end before"),
    (["train", "--milestone_steps=30ep"], 2, "at or after the end"),
    (["train", "--milestone_steps=20ep"], 2, "at or after the end"),
    (["train", "--milestone_steps=5ep,115it"], 2, "two milestones at iteration 115"),
    (["lottery_branch", "retrain", "--levels=0", "--retrain_t_regain_pruned_weights_steps=20ep"], 2, "not before the end"),
    (["train", "--regain_pruned_weights_steps=5ep"], 2, "is not a flag here"),
    (["train", "--init_density=0.5", "--dst=rigl", "--dst_end=1e3"], 2, "malformed step"),
    (["train", "--init_density=0.2", "--dst=rigl", "--dst_end=30ep"], 2, "--dst_end=30ep is after the end"),
    (["train", "--dst=granet", "--dst_final_density=0.1", "--dst_prune_start=30ep"], 2, "--dst_prune_start"),
    (["train", "--init_density=0.2", "--dst=rigl", "--ensemble=edst", "--exploration_steps=30ep"], 2,
     "--ensemble=edst: exploration (690 iterations)"),
    (["train", "--ensemble=pf", "--pf_finetune_steps=0ep"], 2, "zero iterations"),
    (["lottery", "--init_density=0.2", "--dst=rigl", "--dst_end=21ep"], 2, "--dst_end=21ep"),
    # numbers
    (["train", "--lr=inf"], 2, "expected float"),
    (["train", "--lr=nan"], 2, "expected float"),
    (["train", "--lr=infinity"], 2, "expected float"),
    (["train", "--lr=1e999"], 2, "finite"),
    (["train", "--lr=-1"], 2, "positive"),
    (["train", "--lr=1e6"], 2, "at most"),
    (["train", "--lr=\uff10.1"], 2, "expected float"),
    (["train", "--lr=0_1"], 2, "expected float"),
    (["train", "--batch_size=1_000"], 2, "expected int"),
    (["train", "--batch_size=0"], 2, "--batch_size"),
    (["train", "--batch_size=99999999999"], 2, "--batch_size"),
    (["train", "--batch_size=0x10"], 2, "expected int"),
    (["train", "--momentum=1"], 2, "--momentum"),
    (["train", "--gamma=2"], 2, "--gamma"),
    (["train", "--weight_decay=-1"], 2, "--weight_decay"),
    (["train", "--label_smoothing=1"], 2, "--label_smoothing"),
    (["train", "--replicate=0"], 2, "--replicate"),
    (["train", "--replicate=99999999"], 2, "--replicate"),
    (["train", "--replicate=\uff11"], 2, "expected int"),
    (["train", "--data_order_seed=-5"], 2, "non-negative"),
    (["train", "--data_order_seed=99999999999999999999"], 2, "expected int"),
    (["train", "--threads=0"], 2, "--threads"),
    (["train", "--threads=100000"], 2, "--threads"),
    (["train", "--image_size=99999"], 2, "--image_size"),
    (["train", "--subsample_fraction=0"], 2, "--subsample_fraction"),
    (["train", "--random_labels_fraction=2"], 2, "--random_labels_fraction"),
    (["train", "--init_density=0"], 2, "--init_density"),
    (["train", "--dst_update_frequency=0"], 2, "--dst_update_frequency"),
    (["train", "--ensemble_members=1"], 2, "--ensemble_members"),
    (["train", "--nesterov", "--momentum=0"], 2, "--nesterov"),
    # names
    (["train", "--default_hparams=nope"], 2, "--default_hparams: no preset 'nope'"),
    (["train", "--model_name=lenet_9999999"], 2, "too large"),
    (["train", "--model_name=lenet_\uff13\uff10\uff10"], 2, "ASCII"),
    (["train", "--dataset_name=nope"], 2, "unknown dataset"),
    (["train", "--optimizer_name=sgdx"], 2, "unknown value"),
    (["train", "--no_such_flag=1"], 2, "unrecognized arguments"),
    (["nope"], 2, "unknown command"),
    # the results root
    (["train", "--root={file}"], 2, "is a file, not a directory"),
    (["train", "--root={file}/sub"], 2, "is a file, not a directory"),
    (["train", "--root={root}/{long}"], 2, "file names are at most 255 bytes"),
    (["train", "--root=/proc/sparselab_test"], 2, "cannot create /proc/sparselab_test"),
    # the iterative runners
    (["lottery", "--levels=-1"], 2, "--levels"),
    (["lottery", "--levels=5000"], 2, "--levels"),
    (["lottery", "--pruning_fraction=1"], 2, "--pruning_fraction"),
    (["lottery", "--rewinding_steps=30ep"], 2, "not before the end of training"),
    (["lottery", "--rewinding_steps=1e3"], 2, "malformed step"),
    (["lottery", "--training_steps=0ep"], 2, "zero iterations"),
    (["rewindLR", "--pruning_batches=0"], 2, "--pruning_batches"),
    (["rewindLR", "--lr=inf"], 2, "expected float"),
    (["finetune", "--finetune_lr=inf"], 2, "expected float"),
    (["finetune", "--finetune_milestone_steps=10ep"], 2, "--finetune_milestone_steps: 10ep"),
    (["finetune", "--finetune_training_steps=0it"], 2, "zero iterations"),
    (["finetune", "--finetune_warmup_steps=11ep"], 2, "--finetune_warmup_steps"),
    (["scratch", "--erk_power=0"], 2, "--erk_power"),
    (["scratch", "--milestone_steps=\uff11ep"], 2, "ASCII"),
    # branches
    (["lottery_branch", "nope"], 2, "unknown branch"),
    (["lottery_branch", "randomly_prune", "--levels=x"], 2, "--levels"),
    (["lottery_branch", "retrain", "--levels=0", "--retrain_t_training_steps=0ep"], 2, "zero iterations"),
    (["lottery_branch", "retrain", "--levels=0", "--retrain_t_lr=inf"], 2, "expected float"),
    (["lottery_branch", "randomly_prune", "--levels=0", "--training_steps=０ep"], 2, "ASCII"),
    (["train_branch", "oneshot_prune", "--levels=0", "--training_steps=0ep"], 2, "zero iterations"),
    (["train_branch", "oneshot_prune", "--levels=0", "--pruning_fraction=2"], 2, "--pruning_fraction"),
    # reading commands
    (["report", "--compare", "{root}/nope"], 2, ""),
    (["report", "lottery", "--levels=2", "--lr=inf"], 2, "expected float"),
    (["list", "--root={root}/nope"], 2, "no such directory"),
    # an empty path is a typo, never the default root; outputs go into existing directories only
    (["train", "--root="], 2, "--root: empty value"),
    (["lottery", "--dataset_name=mnist", "--dataset_root= "], 2, "--dataset_root: empty value"),
    (["lottery", "--dataset_root=/tmp"], 2, "--dataset_root exists only with a --dataset_name read from files"),
    (["report", "--path", "{root}", "--csv", "{root}/no/such/dir/x.csv"], 2, "does not exist"),
    (["report", "--path", "{root}", "--plot", "{root}/no/such/dir/x.png"], 2, "does not exist"),
    (["train", "--model_name=" + "x" * 100_000], 2, "(100,000 characters)"),
    (["evaluate_ensemble", "{root}/nope"], 2, ""),
]


def _fill(argv: list[str], tmp_path: Path) -> tuple[list[str], Path]:
    (tmp_path / "afile").write_text("x")
    root = tmp_path / "runs"
    values = {"file": str(tmp_path / "afile"), "root": str(root), "long": "x" * 300}
    argv = [a.format(**values) for a in argv]
    if argv[0] not in ("report", "list", "evaluate_ensemble", "nope") and not any(a.startswith("--root=") for a in argv):
        argv.append(f"--root={root}")
    if argv[0] not in ("report", "list", "evaluate_ensemble", "nope"):
        k = 2 if argv[0].endswith("_branch") else 1
        argv = argv[:k] + FAST + argv[k:]  # the case's own flags come last and win
    return argv, root


def _job_files(tmp_path: Path) -> list[Path]:
    return [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "afile"]


def _run_in_process(argv: list[str], capsys) -> tuple[int, str]:
    try:
        status = cli.main(argv)
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else 1
    return status, capsys.readouterr().err


def test_table_has_enough_cases():
    assert len(CASES) >= 40
    assert {c[0][0] for c in CASES} >= {"train", "lottery", "rewindLR", "finetune", "scratch", "lottery_branch",
                                        "train_branch", "report", "list", "evaluate_ensemble"}


@pytest.mark.parametrize("argv, status, piece", CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_bad_input_is_one_line(argv, status, piece, tmp_path, capsys):
    argv, root = _fill(argv, tmp_path)
    got, err = _run_in_process(argv, capsys)
    assert got == status, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert piece in err
    assert _job_files(tmp_path) == []


@pytest.mark.parametrize("argv", [["train", f"--training_steps={BIG}it"], ["train", "--root={file}/sub"],
                                  ["lottery", "--warmup_steps=100ep", "--training_steps=2it"]])
def test_bad_input_in_a_subprocess_has_no_traceback(argv, tmp_path):
    argv, _ = _fill(argv, tmp_path)
    proc = run_main(*argv, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert _job_files(tmp_path) == []


# ----- failures of the run (exit 1): one line naming the cause and the path --------------------------
def _disk_full_oserror(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _disk_full_torch(*args, **kwargs):
    raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0")


@pytest.mark.parametrize("fake", [_disk_full_oserror, _disk_full_torch])
def test_full_disk_is_one_line_naming_the_file(fake, tmp_path, capsys, monkeypatch):
    import shutil

    monkeypatch.setattr(torch, "save", fake)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9, 0))
    status, err = _run_in_process(["train", f"--root={tmp_path}", "--training_steps=2it", *FAST], capsys)
    assert status == 1
    assert err.startswith("error: No space left on device: ") and err.count("\n") == 1, err
    assert "weights_start.pt" in err and str(tmp_path) in err


def test_permission_error_while_writing_is_one_line(tmp_path, capsys, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp_path / "x.json"))

    import sparselab.core.io as fio

    monkeypatch.setattr(fio, "write_json", denied)
    status, err = _run_in_process(["train", f"--root={tmp_path}", "--training_steps=2it", *FAST], capsys)
    assert status == 1 and err == f"error: Permission denied: {tmp_path / 'x.json'}\n"


def test_out_of_memory_is_one_line(tmp_path, capsys, monkeypatch):
    import sparselab.train.loop as loop

    def oom(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(loop, "train", oom)
    status, err = _run_in_process(["train", f"--root={tmp_path}", "--training_steps=2it", *FAST], capsys)
    assert status == 1 and err.startswith("error: out of memory (CUDA out of memory") and err.count("\n") == 1


def test_non_finite_loss_stops_with_one_line_and_no_done_marker(tmp_path, capsys):
    status, err = _run_in_process(["train", f"--root={tmp_path}", "--lr=1000", "--training_steps=5it", *FAST], capsys)
    assert status == 1 and err.startswith("error: training loss became") and err.count("\n") == 1, err
    assert not list(tmp_path.rglob("done.json")) and not list(tmp_path.rglob("checkpoint.pt"))


def test_the_red_team_s_bad_inputs_leave_nothing_behind(tmp_path, capsys):
    """An unknown --series is refused without --plot too; a refused --csv creates no directory; a
    100,000-character value is echoed cut (the whole error line stays short)."""
    root = tmp_path / "runs"
    assert cli.main(["lottery", "--levels=1", "--training_steps=1it", f"--root={root}", *FAST]) == 0
    experiment = str(next(root.glob("lottery_*")))
    capsys.readouterr()
    cases = [(["report", "--path", experiment, "--series", "nonexistent"], "no such series"),
             (["report", "--path", experiment, "--csv", str(tmp_path / "new" / "x.csv")], "does not exist"),
             (["train", "--model_name=" + "y" * 100_000, f"--root={root}"], "unknown --model_name")]
    for argv, piece in cases:
        status, err = _run_in_process(argv, capsys)
        assert status == 2 and piece in err and err.count("\n") == 1 and len(err) < 1000, err
    assert not (tmp_path / "new").exists()
