"""Mixed precision: autocast contexts and which devices can run which precision."""
from __future__ import annotations

import contextlib
import functools
import sys
from pathlib import Path

import torch

from sparselab.core.errors import UsageError

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast(device: torch.device, precision: str):
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=DTYPES[precision])


NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.lru_cache(maxsize=1)
def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """AVX512-BF16 or AMX; without, oneDNN emulates bf16 (slower than fp32, results still change)."""
    try:
        flags = set(cpuinfo.read_text().split())
    except OSError:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


def check_precision(device: torch.device, precision: str) -> None:
    if precision == "fp16" and device.type == "cpu":
        raise UsageError("--precision=fp16 is not supported on the CPU; use bf16 or fp32")
    if precision == "bf16" and device.type == "cpu" and not cpu_has_native_bf16():
        print("warning: this CPU has no native bf16 (avx512_bf16/amx_bf16): --precision=bf16 is emulated, "
              "slower than fp32, and still changes results", file=sys.stderr, flush=True)
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise UsageError("--precision=bf16: this GPU does not support bfloat16; use fp16 or fp32")
    if precision != "fp32" and device.type == "mps":
        raise UsageError(f"--precision={precision} is not supported on MPS; use fp32")


def grad_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler | None:
    return torch.amp.GradScaler(device.type) if precision == "fp16" else None
