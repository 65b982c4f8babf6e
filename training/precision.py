"""Mixed precision: autocast contexts and which devices can run which precision."""
from __future__ import annotations

import contextlib

import torch

from foundations.errors import UsageError

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast(device: torch.device, precision: str):
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=DTYPES[precision])


def check_precision(device: torch.device, precision: str) -> None:
    """Reject precisions the device cannot run, before any job directory exists."""
    if precision == "fp16" and device.type == "cpu":
        raise UsageError("--precision=fp16 is not supported on the CPU; use bf16 or fp32")
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise UsageError("--precision=bf16: this GPU does not support bfloat16; use fp16 or fp32")
    if precision != "fp32" and device.type == "mps":
        raise UsageError(f"--precision={precision} is not supported on MPS; use fp32")


def grad_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler | None:
    return torch.amp.GradScaler(device.type) if precision == "fp16" else None
