"""Optional metric loggers next to metrics.csv: TensorBoard (`--tensorboard`) and Weights & Biases
(`--wandb`). Neither is hashed: they record the same metrics, they do not change the run.

W&B runs in the mode its own environment says (`WANDB_MODE=offline` writes under `<job>/wandb`
without any network; `wandb sync` uploads later); the run is named after the job directory and
carries the job's hparams record as its config.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Mapping

from sparselab.foundations.errors import UsageError

INSTALL = {"tensorboard": "pip install tensorboard", "wandb": "pip install wandb"}


def require_package(flag: str, package: str) -> None:
    """UsageError (one line) when `package` is not importable: checked before any work."""
    if importlib.util.find_spec(package) is None:
        raise UsageError(f"--{flag} needs the {package} package: {INSTALL[package]}")


class Loggers:
    """The loggers a job asked for; `log` sends one metrics row, `close` flushes them all."""

    def __init__(self, out_dir: Path, tensorboard: bool = False, wandb: bool = False) -> None:
        self.sinks: list[Any] = []
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.sinks.append(_TensorBoard(SummaryWriter(str(Path(out_dir) / "tensorboard"))))
        if wandb:
            self.sinks.append(_WandB(Path(out_dir), _record(Path(out_dir))))

    def log(self, row: Mapping[str, Any], iteration: int) -> None:
        scalars = {k: v for k, v in row.items()
                   if k != "iteration" and isinstance(v, (int, float)) and not isinstance(v, bool)}
        for sink in self.sinks:
            sink.log(scalars, iteration)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


def _record(out_dir: Path) -> dict[str, Any]:
    """The job's hparams.json (written before training starts), or {} when it cannot be read."""
    from sparselab.foundations import io as fio
    from sparselab.training.job import HPARAMS_FILE

    try:
        record = fio.read_json(out_dir / HPARAMS_FILE)
    except (UsageError, OSError):
        return {}
    return record if isinstance(record, dict) else {}


class _TensorBoard:
    def __init__(self, writer: Any) -> None:
        self.writer = writer

    def log(self, scalars: Mapping[str, float], iteration: int) -> None:
        for key, value in scalars.items():
            self.writer.add_scalar(key, value, iteration)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class _WandB:
    def __init__(self, out_dir: Path, config: dict[str, Any]) -> None:
        import wandb

        name = "/".join(out_dir.parts[-4:])
        self.run = wandb.init(project="sparselab", name=name, dir=str(out_dir), config=config,
                              reinit=True)

    def log(self, scalars: Mapping[str, float], iteration: int) -> None:
        self.run.log(dict(scalars), step=iteration)

    def close(self) -> None:
        self.run.finish()
