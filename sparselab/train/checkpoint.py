"""`checkpoint.pt`: every training state plus the sha256 of the job's input files, itself under a payload digest
(`core.io.save_checkpoint`), so a flipped bit stops the resume with one line instead of changing the results."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from sparselab.core import layout
from sparselab.core import integrity
from sparselab.core import io as fio
from sparselab.core.errors import UsageError
from sparselab.train.metrics import MetricLog

CHECKPOINT_FILE = layout.CHECKPOINT


def input_digests(directory: Path) -> dict[str, str]:
    """sha256 of the job's files at the start of training; CSV logs grow (a resume rewrites them): left out."""
    directory = Path(directory)
    if not directory.is_dir():
        return {}
    files = integrity.job_files(directory, exclude=(CHECKPOINT_FILE,))
    return {p.name: integrity.digest_file(p) for p in files if p.suffix != ".csv"}


def save(path: Path, iteration: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scaler: Any,
         hooks: list[Any], log: MetricLog, running: dict[str, Any], inputs: dict[str, str]) -> None:
    fio.save_checkpoint(path, {
        "iteration": iteration, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else None, "hooks": [hook.state_dict() for hook in hooks],
        "metrics": log.state(), "running": dict(running), "files": dict(inputs)})


def resume(path: Path, device: torch.device, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
           scaler: Any, hooks: list[Any], log: MetricLog, running: dict[str, Any]) -> tuple[int, dict[str, str]]:
    state = fio.load_checkpoint(path, map_location=device)
    if not isinstance(state, dict):
        raise UsageError(f"corrupt checkpoint {path}: not a training checkpoint; {integrity.repair_hint(path.parent)}")
    iteration = _restore(state, model, optimizer, scaler, hooks, log, running, path)
    inputs = state.get("files")
    if not isinstance(inputs, dict):  # a checkpoint written before checksums: take the files as they are
        return iteration, input_digests(path.parent)
    integrity.check_against(path.parent, inputs)
    return iteration, dict(inputs)


def _restore(state: dict[str, Any], model, optimizer, scaler, hooks, log: MetricLog, running: dict[str, Any],
             path: Path) -> int:
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scaler is not None and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        for hook, hook_state in zip(hooks, state["hooks"]):
            hook.load_state_dict(hook_state)
        for row in state["metrics"]:
            log.add(row)
        running.update(state["running"])
        return int(state["iteration"])
    except (KeyError, RuntimeError, ValueError, TypeError) as e:
        raise UsageError(f"corrupt checkpoint {path}: {str(e).splitlines()[0]}") from None
