"""One job, one name: steps hashed in their canonical spelling, old directories keep their hash."""
from __future__ import annotations

import os

import pytest
import torch

from sparselab import main as cli
from sparselab.core.errors import UsageError
from sparselab.core.step import MAX_ITERATIONS, canonical_step, canonical_step_list, parse_iterations
from sparselab.train.steps import ResolvedSteps


@pytest.mark.parametrize("text, ipe, canonical", [
    ("4ep", 23, "4ep"), ("92it", 23, "4ep"), ("4ep0it", 23, "4ep"), ("0ep92it", 23, "4ep"), (" 4ep ", 23, "4ep"),
    ("100it", 23, "100it"), ("2ep100it", 10, "12ep"), ("2ep5it", 10, "25it"), ("0it", 10, "0ep"), ("0ep", 10, "0ep"), ("007ep", 10, "7ep"),
])
def test_canonical_spelling(text, ipe, canonical):
    assert canonical_step(text, ipe) == canonical
    assert parse_iterations(canonical, ipe) == parse_iterations(text, ipe)


def test_unit_free_spelling_without_the_epoch_length():
    assert [canonical_step(t, None) for t in ("4ep0it", "0ep7it", "0it", "2ep3it")] == ["4ep", "7it", "0ep", "2ep3it"]


def test_step_lists_are_sorted_and_canonical():
    assert canonical_step_list("345it, 10ep", 23, "--milestone_steps") == "10ep,15ep"
    assert canonical_step_list("", 23, "--milestone_steps") == ""


@pytest.mark.parametrize("text", ["\uff14ep", "\u0664it", "1_0ep", "4ep 2it", "4EP", "+4ep", "9" * 5000 + "it"])
def test_non_ascii_or_odd_steps_are_refused(text):
    with pytest.raises(UsageError):
        parse_iterations(text, 10)


def test_bound_counts_iterations():
    assert parse_iterations(f"{MAX_ITERATIONS}it", 7) == MAX_ITERATIONS
    with pytest.raises(UsageError, match="more than"):
        parse_iterations(f"{MAX_ITERATIONS // 7 + 1}ep", 7)


# Directories printed by `--print_path` BEFORE steps were canonicalised (commit aeb60b5): they must not move.
# Since PyTorch's default biases became the default (2026-12), those jobs are the ones of `--bias_init=zeros`.
PINNED = [
    (["train"], "train_62a235641ab0b2f8/replicate_1/main"),
    (["lottery", "--levels=3"], "lottery_b7cde711586b7fa8/replicate_1"),
    (["train", "--training_steps=2ep"], "train_dd565df95b27fea5/replicate_1/main"),
    (["train", "--default_hparams=mnist_lenet_300_100"], "train_811db75fc335bdc9/replicate_1/main"),
    (["lottery", "--default_hparams=mnist_lenet_300_100", "--levels=3"], "lottery_dbdf03634c23693c/replicate_1"),
    (["train", "--default_hparams=cifar_resnet_20"], "train_ef80e07bcf166773/replicate_1/main"),
    (["rewindLR", "--levels=2"], "rewindLR_b7cde711586b7fa8/replicate_1"),
    (["train", "--training_steps=100it"], "train_58e756b3132b36d2/replicate_1/main"),
    (["train", "--warmup_steps=2ep", "--milestone_steps=10ep,15ep"], "train_4baf79ca4dfd306a/replicate_1/main"),
]


def _print_path(argv, root, capsys) -> str:
    assert cli.main([*argv, f"--root={root}", "--print_path"]) == 0
    return capsys.readouterr().out.strip()


@pytest.mark.parametrize("argv, expected", PINNED, ids=[" ".join(a) for a, _ in PINNED])
def test_existing_directories_keep_their_hash(argv, expected, tmp_path, capsys):
    assert _print_path([*argv, "--bias_init=zeros"], tmp_path, capsys) == str(tmp_path / expected)


# The same commands under the default PyTorch biases: new names, pinned from 2026-12 on.
PINNED_PYTORCH_BIASES = {
    "train": "train_41bb0eaa749a092d/replicate_1/main",
    "lottery --levels=3": "lottery_6d475db06ff0f519/replicate_1",
    "train --training_steps=2ep": "train_41b81a34766042fb/replicate_1/main",
    "train --default_hparams=mnist_lenet_300_100": "train_6a211501804426a8/replicate_1/main",
    "lottery --default_hparams=mnist_lenet_300_100 --levels=3": "lottery_f82baa1ed2a5fe4e/replicate_1",
    "train --default_hparams=cifar_resnet_20": "train_f060713affc9b1fc/replicate_1/main",
    "rewindLR --levels=2": "rewindLR_6d475db06ff0f519/replicate_1",
    "train --training_steps=100it": "train_fe4ffa68ee3a0dbb/replicate_1/main",
    "train --warmup_steps=2ep --milestone_steps=10ep,15ep": "train_3d8fd6c60c0b8d3b/replicate_1/main",
}


@pytest.mark.parametrize("argv, old", PINNED, ids=[" ".join(a) for a, _ in PINNED])
def test_default_biases_have_directories_of_their_own(argv, old, tmp_path, capsys):
    expected = PINNED_PYTORCH_BIASES[" ".join(argv)]
    assert _print_path(argv, tmp_path, capsys) == str(tmp_path / expected)
    assert expected.split("/")[0] != old.split("/")[0]


def test_one_job_one_name(tmp_path, capsys):
    """digits, batch 64: 23 iterations per epoch."""
    paths = {_print_path(["train", f"--training_steps={s}"], tmp_path, capsys) for s in ("4ep", "92it", "4ep0it")}
    assert len(paths) == 1
    lists = {_print_path(["train", f"--milestone_steps={m}"], tmp_path, capsys) for m in ("10ep,15ep", "345it,230it")}
    assert len(lists) == 1
    assert _print_path(["train", "--training_steps=93it"], tmp_path, capsys) not in paths


def test_the_same_job_spelled_in_iterations_is_already_done(tmp_path, capsys):
    flags = [f"--root={tmp_path}", "--threads=1", "--quiet"]
    assert cli.main(["train", "--training_steps=4ep", *flags]) == 0
    capsys.readouterr()
    assert cli.main(["train", "--training_steps=92it", *flags]) == 0
    assert "train: already done" in capsys.readouterr().out
    assert len(list(tmp_path.glob("train_*"))) == 1


def test_a_converted_spelling_needs_the_standard_epoch_length():
    """92it -> 4ep assumed 23 iterations per epoch: data with another length must not reuse the name."""
    with pytest.raises(UsageError, match="not the standard 23"):
        ResolvedSteps(23, converted=True).check_data(7, "digits")
    ResolvedSteps(23, converted=False).check_data(7, "digits")  # every spelling kept its unit: fine


def test_deterministic_flag_is_applied(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    before = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic,
              torch.backends.cudnn.benchmark)
    try:
        _print_path(["train"], tmp_path, capsys)
        assert not torch.are_deterministic_algorithms_enabled()
        plain = _print_path(["train"], tmp_path, capsys)
        assert _print_path(["train", "--deterministic"], tmp_path, capsys) == plain  # not hashed
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    finally:
        torch.use_deterministic_algorithms(before[0])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before[1], before[2]
