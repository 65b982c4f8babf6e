"""Helpers for the platform tests: torchrun launches with per-rank logs, job files, metric logs."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import torch

from helpers import ROOT, env

FAST = ["--training_steps=2ep", "--threads=1"]


def torchrun(args: list[str], log_dir: Path, nproc: int = 2, extra_env: dict[str, str] | None = None,
             timeout: float = 300) -> tuple[subprocess.CompletedProcess, dict[int, dict[str, str]]]:
    """`torchrun --standalone --nproc_per_node=N main.py ...`; returns the process and each rank's stdout/stderr."""
    e = env()
    e.update(extra_env or {})
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               f"--log-dir={log_dir}", "--redirects=3", str(ROOT / "main.py"), *args]
    proc = subprocess.run(command, capture_output=True, text=True, env=e, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise AssertionError(f"torchrun exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    attempts = sorted(log_dir.glob("*/attempt_*"), key=lambda p: p.stat().st_mtime)
    logs = {}
    for rank_dir in attempts[-1].iterdir():
        logs[int(rank_dir.name)] = {name: (rank_dir / f"{name}.log").read_text()
                                    for name in ("stdout", "stderr")}
    return proc, logs


def only(root: Path, pattern: str) -> Path:
    """The single path under `root` matching `pattern` (e.g. the one job a test ran)."""
    found = sorted(root.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} under {root}, found {found}"
    return found[0]


def metrics(directory: Path) -> list[dict[str, str]]:
    with open(directory / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def check_job_files(directory: Path) -> dict:
    """Every file of a finished job loads (JSON, torch with weights_only=True); no temporary leftovers."""
    assert not list(directory.glob(".*.tmp")), f"temporary files left in {directory}"
    done = json.loads((directory / "done.json").read_text())
    json.loads((directory / "hparams.json").read_text())
    for path in directory.glob("*.pt"):
        torch.load(path, weights_only=True)
    return done
