"""Fake job directories with known values, in the layout the runners write."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sparselab.data.hparams import DatasetHparams
from sparselab.core import identity, integrity
from sparselab.models.hparams import ModelHparams
from sparselab.sparsity.hparams import PruningHparams
from sparselab.train.hparams import TrainingHparams
from sparselab.train.presets import DIGITS

LOTTERY = "lottery_0123456789abcdef"


def record(command: str | None = "lottery", **changes: Any) -> dict[str, Any]:
    """A full hparams.json record: dataclass defaults, the digits preset, then `changes`."""
    out: dict[str, Any] = {} if command is None else {"command": command}
    sections = {"dataset": DatasetHparams, "model": ModelHparams, "training": TrainingHparams}
    if command is not None:
        sections["pruning"] = PruningHparams
    for section, cls in sections.items():
        values = cls.defaults()
        values.update({k: v for k, v in DIGITS.items() if k in values})
        values.update({k: v for k, v in changes.items() if k in values})
        out[section] = values
    return out


def write_metrics(directory: Path, rows: list[dict[str, Any]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    with open(directory / "metrics.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else (repr(v) if isinstance(v, float) else v) for k, v in row.items()})


def curve(final: float, iterations: int = 40, every: int = 10, density: float | None = None,
          start: float = 0.1) -> list[dict[str, Any]]:
    """metrics.csv rows rising linearly from `start` to `final`."""
    rows = []
    for it in range(0, iterations + 1, every):
        acc = start + (final - start) * it / iterations
        row: dict[str, Any] = {"iteration": it, "epoch": it / every, "lr": 0.1, "test_loss": 1.0 - acc,
                               "test_accuracy": acc, "test_examples": 359}
        if density is not None:
            row["density"] = density
        rows.append(row)
    return rows


def job(directory: Path, hparams: dict[str, Any], done: dict[str, Any] | None,
        rows: list[dict[str, Any]] | None = None) -> Path:
    """A job directory: hparams.json, metrics.csv, and a sealed done.json unless `done` is None (in progress)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hparams.json").write_text(json.dumps({**hparams, integrity.PROVENANCE_KEY: {}}))
    if rows is not None:
        write_metrics(directory, rows)
    if done is not None:
        seal_done(directory, done)
    return directory


def seal_done(directory: Path, done: dict[str, Any]) -> None:
    """done.json as a job of today writes it: sealed over the files beside it and the job's identity
    (a job written before checksums is shown as unverified and not averaged)."""
    sealed = integrity.seal(done, integrity.manifest(directory), identity.of_directory(directory))
    (directory / "done.json").write_text(json.dumps(sealed))


def level_done(level: int, final: float, best: float, best_iteration: int = 30,
               fraction: float = 0.2, **extra: Any) -> dict[str, Any]:
    density = (1 - fraction) ** level
    return {"final_test_accuracy": final, "best_test_accuracy": best, "best_iteration": best_iteration,
            "final_test_loss": 1 - final, "iterations": 40, "wall_seconds": 1.5, "images_per_second": 1000.0,
            "final_train_loss": 0.01, "level": level, "density": density,
            "density_all_parameters": density + 0.01, "kept_weights": int(1000 * density),
            "prunable_weights": 1000, **extra}


def lottery(root: Path, accuracies: dict[int, list[float]], name: str = LOTTERY, command: str = "lottery",
            hparams: dict[str, Any] | None = None, **done_extra: Any) -> Path:
    """An experiment whose replicate R has finished levels 0..len(accuracies[R])-1 with these final
    accuracies; best = final + 0.01 at iteration 30."""
    hparams = hparams or record(command)
    experiment = root / name
    for replicate, finals in accuracies.items():
        for level, final in enumerate(finals):
            done = level_done(level, final, final + 0.01, **done_extra)
            job(experiment / f"replicate_{replicate}" / f"level_{level}" / "main", hparams, done,
                curve(final, density=done["density"]))
    return experiment


def branch(level_dir: Path, name: str, digest: str, done: dict[str, Any] | None,
           branch_hparams: dict[str, Any] | None = None, trunk: dict[str, Any] | None = None) -> Path:
    hparams = {"branch": name, "branch_hparams": branch_hparams or {}, "trunk": trunk or record()}
    final = None if done is None else done.get("final_test_accuracy")
    return job(level_dir / f"branch_{name}_{digest}", hparams, done, curve(final or 0.5))


def train_run(root: Path, finals: dict[int, float], name: str = "train_fedcba9876543210",
              hparams: dict[str, Any] | None = None) -> Path:
    experiment = root / name
    for replicate, final in finals.items():
        done = {"final_test_accuracy": final, "best_test_accuracy": final, "best_iteration": 40,
                "final_test_loss": 0.1, "iterations": 40, "wall_seconds": 1.0, "images_per_second": 100.0,
                "final_train_loss": 0.01, "final_train_accuracy": 0.99}
        job(experiment / f"replicate_{replicate}" / "main", hparams or record(None), done, curve(final))
    return experiment
