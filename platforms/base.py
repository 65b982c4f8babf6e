"""Where and on what a job runs: device, process group, result and dataset roots."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import ClassVar

import torch

from foundations.errors import UsageError
from foundations.hparams import Hparams, hparam

PLATFORM_NAMES = ("local",)


@dataclasses.dataclass(frozen=True)
class PlatformHparams(Hparams):
    """Flags that choose the hardware target. None of them changes results, so none is hashed."""

    _group: ClassVar[str] = "Platform"
    platform: str = hparam("local", "where the job runs", choices=PLATFORM_NAMES, hashed=False)
    device: str = hparam("auto", "auto | cpu | cuda | cuda:N | mps", hashed=False)
    threads: int | None = hparam(None, "CPU threads for torch (default: all cores)", hashed=False)
    root: str | None = hparam(None, "results root (else $SPARSELAB_ROOT, else ./runs)", hashed=False)
    dataset_root: str | None = hparam(None, "dataset root (else $SPARSELAB_DATA, else ./data)", hashed=False)
    download: bool = hparam(False, "download a missing dataset (needs network)", hashed=False)

    def validate(self) -> None:
        if self.threads is not None and self.threads < 1:
            raise UsageError(f"--threads must be >= 1, got {self.threads}")


class Platform:
    """Local single-process platform; subclasses add process groups."""

    def __init__(self, hparams: PlatformHparams) -> None:
        self.hparams = hparams
        self.device = resolve_device(hparams.device)
        if self.device.type == "cpu":
            threads = hparams.threads or os.cpu_count() or 1
            torch.set_num_threads(threads)

    @property
    def root(self) -> Path:
        return Path(self.hparams.root or os.environ.get("SPARSELAB_ROOT") or "runs")

    @property
    def dataset_root(self) -> Path:
        return Path(self.hparams.dataset_root or os.environ.get("SPARSELAB_DATA") or "data")

    # Process group: a single process here; the distributed platform overrides these.
    rank: int = 0
    world_size: int = 1

    @property
    def is_primary(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        """Wait for every process; nothing to wait for in one process."""


def resolve_device(name: str) -> torch.device:
    """auto = CUDA if present, else MPS, else CPU; a device that does not exist is a UsageError."""
    name = name.strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UsageError(f"--device: unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"--device={name}: CUDA is not available on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UsageError(f"--device={name}: only {torch.cuda.device_count()} CUDA device(s) present")
    elif device.type == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise UsageError(f"--device={name}: MPS is not available on this machine")
    elif device.type != "cpu":
        raise UsageError(f"--device: unsupported device {name!r}; use auto, cpu, cuda, cuda:N or mps")
    return device
