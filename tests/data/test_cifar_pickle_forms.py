"""CIFAR batches in every form they are found in: the official Python-2 pickles and Python-3 re-pickles.

The Python-2 bytes are written opcode by opcode here (Python 3's pickle never emits SHORT_BINSTRING),
in the form the official archive holds: str keys, the array rebuilt by numpy.core.multiarray._reconstruct
from a raw byte string. A doctored pickle that names any other global is refused without running it.
"""
from __future__ import annotations

import os
import pickle
import struct

import numpy as np
import pytest

from sparselab.data.cifar import batch_images, batch_labels, read_batch
from sparselab.core.errors import UsageError

DATA = np.arange(2 * 3072).astype(np.uint8).reshape(2, 3072)


def _str2(b: bytes) -> bytes:
    """A Python-2 `str` (what the archive's keys and raw array bytes are)."""
    if len(b) < 256:
        return pickle.SHORT_BINSTRING + bytes([len(b)]) + b
    return pickle.BINSTRING + struct.pack("<i", len(b)) + b


def _global(module: str, name: str) -> bytes:
    return pickle.GLOBAL + module.encode() + b"\n" + name.encode() + b"\n"


def _int(n: int) -> bytes:
    return pickle.BININT + struct.pack("<i", n)


def _tuple(*items: bytes) -> bytes:
    return pickle.MARK + b"".join(items) + pickle.TUPLE


def _py2_uint8_array(arr: np.ndarray) -> bytes:
    dtype = (_global("numpy", "dtype") + _tuple(_str2(b"u1"), _int(0), _int(1)) + pickle.REDUCE
             + _tuple(_int(3), _str2(b"|"), pickle.NONE, pickle.NONE, pickle.NONE, _int(-1), _int(-1), _int(0))
             + pickle.BUILD)
    empty = _global("numpy.core.multiarray", "_reconstruct") + _tuple(
        _global("numpy", "ndarray"), _tuple(_int(0)), _str2(b"b")) + pickle.REDUCE
    state = _tuple(_int(1), _tuple(*(_int(d) for d in arr.shape)), dtype, pickle.NEWFALSE, _str2(arr.tobytes()))
    return empty + state + pickle.BUILD


def py2_batch(data: np.ndarray, labels: list[int]) -> bytes:
    items = (_str2(b"batch_label") + _str2(b"training batch 1 of 5") + _str2(b"data") + _py2_uint8_array(data)
             + _str2(b"labels") + pickle.EMPTY_LIST + pickle.MARK + b"".join(_int(v) for v in labels) + pickle.APPENDS)
    return pickle.PROTO + bytes([2]) + pickle.EMPTY_DICT + pickle.MARK + items + pickle.SETITEMS + pickle.STOP


def _python3(protocol: int, str_keys: bool) -> bytes:
    batch = {"batch_label": "training batch 1 of 5", "data": DATA, "labels": [3, 4]}
    if not str_keys:
        batch = {k.encode(): (v.encode() if isinstance(v, str) else v) for k, v in batch.items()}
    return pickle.dumps(batch, protocol=protocol)


FORMS = {
    "python2 archive": py2_batch(DATA, [3, 4]),
    "python3 protocol 2 (bytes via _codecs.encode)": _python3(2, str_keys=False),
    "python3 protocol 2, str keys": _python3(2, str_keys=True),
    "python3 protocol 4, str keys": _python3(4, str_keys=True),
    "python3 protocol 5, str keys": _python3(5, str_keys=True),
    "python3 protocol 5, bytes keys": _python3(5, str_keys=False),
}


@pytest.mark.parametrize("form", FORMS)
def test_every_form_reads_the_same_batch(form, tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(FORMS[form])
    batch = read_batch(path)
    images = batch_images(path, batch)
    assert images.shape == (2, 3, 32, 32) and np.array_equal(images.reshape(2, -1), DATA)
    assert images.flags.writeable
    assert batch_labels(path, batch, b"labels", 2, 10).tolist() == [3, 4]


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


@pytest.mark.parametrize("payload", [
    pickle.dumps({b"data": _Evil()}, protocol=2),
    pickle.dumps({b"data": _Evil()}, protocol=5),
    # _codecs.encode with a codec other than latin-1 (the only one protocol 2 uses for bytes)
    pickle.PROTO + bytes([2]) + _global("_codecs", "encode") + _tuple(
        pickle.BINUNICODE + struct.pack("<I", 1) + b"x", pickle.BINUNICODE + struct.pack("<I", 9) + b"rot13_abc")
    + pickle.REDUCE + pickle.STOP,
])
def test_foreign_globals_are_refused(payload, tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(payload)
    with pytest.raises(UsageError, match="data_batch_1.*refusing"):
        read_batch(path)
