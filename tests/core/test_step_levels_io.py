from __future__ import annotations

import os

import pytest
import torch

from sparselab.core import io as fio
from sparselab.core.errors import UsageError
from sparselab.core.levels import parse_levels
from sparselab.core.step import parse_iterations, spelled


@pytest.mark.parametrize("text, expected", [("160ep", 1600), ("1000it", 1000), ("2ep100it", 120), ("0ep", 0),
                                            ("3ep", 30), ("0it", 0)])
def test_step_parse(text, expected):
    assert parse_iterations(text, 10) == expected


@pytest.mark.parametrize("text", ["", "ep", "10", "1.5ep", "-3ep", "3it2ep", "abc", "10 epochs"])
def test_step_malformed(text):
    with pytest.raises(UsageError, match="malformed step"):
        parse_iterations(text, 10)


def test_step_spelling_and_epoch_length():
    assert [spelled(i, 10) for i in (0, 30, 35)] == ["0ep", "3ep", "35it"]
    with pytest.raises(ValueError):
        parse_iterations("3ep", 0)


@pytest.mark.parametrize("text, expected", [("0,3,6", [0, 3, 6]), ("1-4", [1, 2, 3, 4]),
                                            ("0-2,5-8,12", [0, 1, 2, 5, 6, 7, 8, 12]), ("3,3,1", [1, 3])])
def test_levels(text, expected):
    assert parse_levels(text) == expected


@pytest.mark.parametrize("text", ["", "-1", "5-3", "1-2-3", "a", "1,,2", " 3x"])
def test_levels_bad(text):
    with pytest.raises(UsageError):
        parse_levels(text)


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "f.json"
    fio.write_json(target, {"a": 1})
    fio.write_json(target, {"a": 2})
    assert fio.read_json(target) == {"a": 2}
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_failed_write_keeps_old_file(tmp_path):
    target = tmp_path / "f.bin"
    fio.write_bytes(target, b"old")

    def broken(f):
        f.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        fio.atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_torch_roundtrip_and_corrupt_file(tmp_path):
    path = tmp_path / "w.pt"
    fio.save_torch(path, {"w": torch.arange(3)})
    assert torch.equal(fio.load_torch(path)["w"], torch.arange(3))
    path.write_bytes(b"garbage")
    with pytest.raises(UsageError, match="corrupt torch file .*w.pt"):
        fio.load_torch(path)


class NotAllowed:
    """A class torch.load(weights_only=True) must refuse to unpickle."""


def test_load_refuses_arbitrary_pickles(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"x": NotAllowed()}, path)
    with pytest.raises(UsageError, match="corrupt torch file"):
        fio.load_torch(path)


@pytest.mark.parametrize("argv", [
    ["lottery_branch", "randomly_prune", "--levels=0-99999999999"],
    ["train", "--replicates=1-100000000"],
    ["lottery", "--replicates=1-5,7-1000000"],
], ids=["branch levels", "replicates", "replicates list"])
def test_huge_ranges_are_refused_before_they_are_expanded(argv, tmp_path):
    """The red team's `--levels=0-99999999999` grew to 21 GB before anything was checked."""
    import resource
    import subprocess
    import sys

    from helpers import ROOT, env

    def limit_memory() -> None:  # 2 GB of address space: an expanded range would die, not pass
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), *argv, f"--root={tmp_path}"], capture_output=True,
                          text=True, env=env(), timeout=120, preexec_fn=limit_memory)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: --") and "more than 100,000 values" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
