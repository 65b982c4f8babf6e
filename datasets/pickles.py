"""Reading the CIFAR "python version" batch files: pickled dicts of bytes keys, numpy arrays and lists.

The unpickler only resolves the few numpy globals these files need, so a doctored file cannot run
code when it is read.
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from datasets.base import corrupt, require

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def read_batch(path: Path) -> dict[bytes, Any]:
    require(path)
    try:
        with open(path, "rb") as f:
            batch = _NumpyOnlyUnpickler(f, encoding="bytes").load()
    except Exception as e:  # truncated file, foreign pickle, refused global: all mean "not a CIFAR batch"
        raise corrupt(path, f"cannot unpickle ({type(e).__name__}: {e})") from None
    if not isinstance(batch, dict):
        raise corrupt(path, f"expected a dict, found {type(batch).__name__}")
    return batch


def batch_images(path: Path, batch: dict[bytes, Any], image_hw: tuple[int, int] = (32, 32)) -> np.ndarray:
    """b'data' ([N, 3*H*W] uint8, channel planes in row-major order) as [N, 3, H, W]."""
    if b"data" not in batch:
        raise corrupt(path, "no b'data' entry")
    data = np.asarray(batch[b"data"])
    h, w = image_hw
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * h * w:
        raise corrupt(path, f"b'data' is {data.dtype} {data.shape}, expected uint8 [N, {3 * h * w}]")
    return data.reshape(-1, 3, h, w)


def batch_labels(path: Path, batch: dict[bytes, Any], key: bytes, count: int, num_classes: int) -> np.ndarray:
    if key not in batch:
        raise corrupt(path, f"no {key!r} entry")
    labels = np.asarray(batch[key], dtype=np.int64)
    if labels.shape != (count,):
        raise corrupt(path, f"{key!r} has shape {labels.shape}, expected ({count},)")
    if count and (labels.min() < 0 or labels.max() >= num_classes):
        raise corrupt(path, f"{key!r} outside 0..{num_classes - 1}")
    return labels
