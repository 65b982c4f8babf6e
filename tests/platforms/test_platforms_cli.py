"""Platform choices from the command line: bad input is one line on stderr with exit status 2; bf16."""
from __future__ import annotations

import json

import pytest

from helpers import run_main, start_main
from platforms_helpers import only


BAD_INPUT = [
    (["--platform=cloud"], "--platform: unknown value 'cloud'; choose from local, distributed, slurm"),
    (["--device=cuda:7"], "--device=cuda:7"),
    (["--device=tpu"], "--device: unknown device 'tpu'"),
    (["--device=cpu", "--precision=fp16"], "--precision=fp16 is not supported on the CPU"),
    (["--platform=distributed"], "needs the torchrun environment"),
    (["--replicates=0-2"], "--replicates: replicates start at 1"),
    (["--sweep", "lr=0.1,-1"], "lr=-1 replicate 1: --lr must be positive"),
]


def test_bad_platform_input_is_one_line_and_exit_2(tmp_path):
    # All at once: each is a separate main.py, and most of their time is importing torch.
    procs = [start_main("train", f"--root={tmp_path}", "--threads=1", *flags) for flags, _ in BAD_INPUT]
    for proc, (flags, fragment) in zip(procs, BAD_INPUT):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (flags, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], (flags, err)
        assert out == ""
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.slow
def test_bf16_on_the_cpu_trains_as_well_as_fp32(tmp_path):
    results = {}
    for precision in ("fp32", "bf16"):
        root = tmp_path / precision
        run_main("train", f"--root={root}", "--threads=1", "--quiet", f"--precision={precision}")
        results[precision] = json.loads((only(root, "train_*/replicate_1/main") / "done.json").read_text())
    assert results["fp32"]["final_test_accuracy"] >= 0.95
    assert abs(results["bf16"]["final_test_accuracy"] - results["fp32"]["final_test_accuracy"]) <= 0.01


@pytest.mark.slow
def test_compile_trains_like_eager(tmp_path):
    """--compile is a platform flag: same directory, same numbers up to kernel rounding (slow: compiling)."""
    results = {}
    for name, flags in (("eager", []), ("compiled", ["--compile"])):
        root = tmp_path / name
        run_main("train", f"--root={root}", "--threads=2", "--quiet", "--training_steps=2ep", *flags)
        results[name] = only(root, "train_*/replicate_1/main")
    assert results["eager"].relative_to(tmp_path / "eager") == results["compiled"].relative_to(tmp_path / "compiled")
    eager, compiled = (json.loads((d / "done.json").read_text()) for d in results.values())
    assert abs(eager["final_test_accuracy"] - compiled["final_test_accuracy"]) <= 0.01
