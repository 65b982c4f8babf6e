"""Reading the CIFAR "python version" batch files: pickled dicts of bytes keys, numpy arrays and lists.

Accepted: the official archives (Python-2 protocol-2 pickles of str keys and raw bytes) and the same
dicts re-pickled by Python 3 (protocol 2 writes bytes as `_codecs.encode(text, 'latin1')`, protocols
4 and 5 may carry str keys, protocol 5 rebuilds arrays with `numpy..._frombuffer`). The unpickler
resolves only those globals (and `_codecs.encode` only for latin-1), so a doctored file cannot run
code when it is read; str keys are read as their bytes.
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from sparselab.data.base import RemoteFile, corrupt, require

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}
_FROMBUFFER = {("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")}
_LATIN1 = ("latin1", "latin-1", "iso-8859-1", "iso8859-1")


def _latin1_encode(text: Any, encoding: str = "utf-8") -> bytes:
    """`_codecs.encode` as protocol-2 pickles of bytes use it, and nothing else."""
    if not isinstance(text, str) or str(encoding).lower() not in _LATIN1:
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin-1")


def _frombuffer(buffer: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    """numpy's protocol-5 array constructor, for plain (non-object) dtypes only."""
    dtype = np.dtype(dtype)
    if dtype.hasobject:
        raise pickle.UnpicklingError("refusing an object array")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order).copy()  # writable, like _reconstruct


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):
            return _latin1_encode
        if (module, name) in _FROMBUFFER:
            return _frombuffer
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a CIFAR batch holds only "
                                         "numpy arrays, lists and strings")
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
    return {k.encode("utf-8") if isinstance(k, str) else k: v for k, v in batch.items()}


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


def archive(name: str, md5: str) -> RemoteFile:
    """A CIFAR archive on the official mirrors."""
    mirrors = ("https://www.cs.toronto.edu/~kriz/", "https://cave.cs.toronto.edu/kriz/")
    return RemoteFile(name, tuple(m + name for m in mirrors), md5, extract=True)
