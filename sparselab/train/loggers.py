"""Optional, unhashed metric loggers beside metrics.csv: TensorBoard (hierarchical tags, hparams in the HParams
tab) and Weights & Biases (one run per job, id from its path, `resume="allow"`, grouped by experiment folder,
the job's place in its config; offline under `WANDB_MODE=offline`)."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from typing import Any, Mapping

from sparselab.core import identity, layout
from sparselab.core.errors import UsageError

INSTALL = {"tensorboard": "pip install tensorboard", "wandb": "pip install wandb"}
TENSORBOARD_DIR = layout.TENSORBOARD  # under the job directory
BACKFILL_DIR = "tensorboard_logs"  # the folder the finished-job note suggests to `report --tensorboard_dir`
GROUPS = ("train", "test", "val")  # a metrics.csv column <group>_<name> is logged as <group>/<name>
HPARAMS_METRICS = ("test/accuracy", "test/loss", "train/loss")  # the HParams tab's metric columns


def require_package(flag: str, package: str) -> None:
    if importlib.util.find_spec(package) is None:
        raise UsageError(f"--{flag} needs the {package} package: {INSTALL[package]}")


def tag(column: str) -> str:
    """test_accuracy -> test/accuracy, lr -> run/lr."""
    group, _, name = column.partition("_")
    return f"{group}/{name}" if group in GROUPS and name else f"run/{column}"


def scalars_of(row: Mapping[str, Any]) -> dict[str, float]:
    return {k: v for k, v in row.items()
            if k != "iteration" and isinstance(v, (int, float)) and not isinstance(v, bool)}


class Loggers:
    def __init__(self, out_dir: Path, tensorboard: bool = False, wandb: Any = None) -> None:
        """`wandb`: None, or the training bundle (its --wandb_* flags)."""
        self.sinks: list[Any] = []
        record = _record(Path(out_dir)) if tensorboard or wandb else {}
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.sinks.append(TensorBoard(SummaryWriter(str(Path(out_dir) / TENSORBOARD_DIR)), record))
        if wandb:
            self.sinks.append(WandB(Path(out_dir), record, wandb))

    def log(self, row: Mapping[str, Any], iteration: int) -> None:
        scalars = scalars_of(row)
        for sink in self.sinks:
            sink.log(scalars, iteration)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


def _record(out_dir: Path) -> dict[str, Any]:
    from sparselab.core import io as fio
    from sparselab.train.job import HPARAMS_FILE

    try:
        record = fio.read_json(out_dir / HPARAMS_FILE)
    except (UsageError, OSError):
        return {}
    return record if isinstance(record, dict) else {}


def flat_hparams(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`section/field` -> value; values other than numbers, strings and booleans as text."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flat_hparams(value, name + "/"))
        elif isinstance(value, (bool, int, float, str)):
            out[name] = value
        else:
            out[name] = str(value)
    return out


def write_hparams(writer: Any, record: Mapping[str, Any]) -> None:
    """Into the writer's own run folder (SummaryWriter.add_hparams would open a second one per call)."""
    from torch.utils.tensorboard.summary import hparams

    experiment, start, _ = hparams(flat_hparams(record), {name: 0.0 for name in HPARAMS_METRICS})
    for summary in (experiment, start):
        writer.file_writer.add_summary(summary)


def end_hparams(writer: Any) -> None:
    from torch.utils.tensorboard.summary import hparams

    _, _, end = hparams({"_": 0}, {name: 0.0 for name in HPARAMS_METRICS})
    writer.file_writer.add_summary(end)


_NOTED: set[str] = set()  # experiments already told, so a 30-level trunk says it once


def _asks_tensorboard(record: Mapping[str, Any]) -> bool:
    from sparselab.train.hparams import logger_names

    return "tensorboard" in logger_names(record.get("loggers")) or any(
        isinstance(v, Mapping) and _asks_tensorboard(v) for v in record.values())


def finished_note(directory: Path, record: Mapping[str, Any]) -> str | None:
    """For `--loggers=tensorboard` on a job finished before: the backfill command (None if not asked or said)."""
    from sparselab.core.cli import program

    if not _asks_tensorboard(record):
        return None
    where = identity.of_directory(directory)
    parts = Path(directory).absolute().parts
    experiment = Path(*parts[:parts.index(where["experiment"]) + 1]) if where["experiment"] else Path(directory)
    if str(experiment) in _NOTED:
        return None
    _NOTED.add(str(experiment))
    return (f"note: --loggers=tensorboard logs only while a job trains and {directory} finished before; write the "
            f"event files of finished jobs with: {program()} report --path {experiment} "
            f"--tensorboard_dir {BACKFILL_DIR}")


class TensorBoard:
    def __init__(self, writer: Any, record: Mapping[str, Any]) -> None:
        self.writer = writer
        write_hparams(writer, record)

    def log(self, scalars: Mapping[str, float], iteration: int) -> None:
        for key, value in scalars.items():
            self.writer.add_scalar(tag(key), value, iteration)
        self.writer.flush()

    def close(self) -> None:
        end_hparams(self.writer)
        self.writer.close()


def run_id(out_dir: Path) -> str:
    return hashlib.sha256(str(Path(out_dir).resolve()).encode()).hexdigest()[:16]


def init_arguments(out_dir: Path, record: Mapping[str, Any], flags: Any) -> dict[str, Any]:
    where = identity.of_directory(out_dir)
    experiment = where["experiment"] or Path(out_dir).name
    job = where["job"] if where["experiment"] else Path(out_dir).name
    config = {**record, "experiment": experiment, "replicate": where["replicate"],
              "level": where["level"], "branch": where["branch"], "job": job}
    return {"project": flags.wandb_project, "entity": flags.wandb_entity,
            "group": flags.wandb_group or experiment, "name": f"{experiment}/{job}", "id": run_id(out_dir),
            "resume": "allow", "dir": str(out_dir), "config": config, "reinit": "finish_previous"}


class WandB:
    def __init__(self, out_dir: Path, record: Mapping[str, Any], flags: Any) -> None:
        import wandb

        self.run = wandb.init(**init_arguments(out_dir, record, flags))

    def log(self, scalars: Mapping[str, float], iteration: int) -> None:
        self.run.log({tag(k): v for k, v in scalars.items()}, step=iteration)

    def close(self) -> None:
        self.run.finish()
