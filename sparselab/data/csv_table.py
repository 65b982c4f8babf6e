"""`--dataset_name=csv`: a CSV file with a header row, one label column (any strings; classes sorted, numerically
when all integers) and finite numeric features, split and standardised as the bundled tables. The job's hash covers
the file's sha256, not its path."""
from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import numpy as np

from sparselab.data.base import DatasetSource, ImageSet
from sparselab.data.tabular import stratified_test_mask, table_split
from sparselab.core.errors import UsageError

NAME = "csv"
_CACHE: dict[tuple[str, int, int, str], tuple[DatasetSource, ImageSet, ImageSet]] = {}


def _not_here(folder: Path) -> tuple[ImageSet, ImageSet]:
    raise UsageError("dataset csv reads --csv_file (with --csv_label_column), not a folder of --dataset_root")


SOURCE = DatasetSource(name=NAME, num_classes=2, image_shape=(1, 1, 1), mean=(0.0,), std=(1.0,),
                       augmentation="none", folder="", load=_not_here, expected_files=())


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            table = list(csv.reader(f))
    except FileNotFoundError:
        raise UsageError(f"--csv_file {path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise UsageError(f"--csv_file {path}: cannot be read as CSV ({str(e).splitlines()[0]})") from None
    table = [row for row in table if any(cell.strip() for cell in row)]
    if len(table) < 2:
        raise UsageError(f"--csv_file {path}: needs a header row and at least one data row")
    return [h.strip() for h in table[0]], table[1:]


def _number(cell: str, path: Path, row: int, column: str) -> float:
    text = cell.strip()
    if text == "" or text.lower() in ("na", "nan", "null", "none", "?"):
        raise UsageError(f"--csv_file {path}: missing value in column {column!r}, row {row}")
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--csv_file {path}: non-numeric value {text!r} in column {column!r}, row {row}") from None
    if not math.isfinite(value):
        raise UsageError(f"--csv_file {path}: non-finite value {text!r} in column {column!r}, row {row}")
    return value


def _classes(labels: list[str]) -> list[str]:
    distinct = set(labels)
    try:
        return sorted(distinct, key=int)
    except ValueError:
        return sorted(distinct)


def parse(path: Path, label_column: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """(features N x F float64, labels N int64, class names, feature names); rows count from 1 after the header."""
    header, body = _rows(path)
    if label_column not in header:
        raise UsageError(f"--csv_label_column {label_column!r} is not a column of {path}; columns: {', '.join(header)}")
    if len(header) < 2:
        raise UsageError(f"--csv_file {path}: needs at least one feature column besides {label_column!r}")
    li = header.index(label_column)
    features, labels = [], []
    for r, row in enumerate(body, start=1):
        if len(row) != len(header):
            raise UsageError(f"--csv_file {path}: row {r} has {len(row)} fields, the header has {len(header)}")
        label = row[li].strip()
        if label == "":
            raise UsageError(f"--csv_file {path}: missing value in column {label_column!r}, row {r}")
        labels.append(label)
        features.append([_number(c, path, r, header[j]) for j, c in enumerate(row) if j != li])
    classes = _classes(labels)
    if len(classes) < 2:
        raise UsageError(f"--csv_file {path}: column {label_column!r} holds a single class ({classes[0]!r})")
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[label] for label in labels], dtype=np.int64)
    return np.array(features, dtype=np.float64), y, classes, [h for j, h in enumerate(header) if j != li]


def content_digest(csv_file: str | Path) -> str:
    from sparselab.core.integrity import digest_file

    path = Path(csv_file).expanduser()
    if not path.is_file():
        raise UsageError(f"--csv_file {path}: no such file")
    return f"sha256:{digest_file(path)}"


def load_csv(csv_file: str | Path, label_column: str) -> tuple[DatasetSource, ImageSet, ImageSet]:
    """(the source with this file's classes and shape, train, test), cached per file version and label column."""
    path = Path(csv_file).expanduser().resolve()
    try:
        st = path.stat()
    except OSError:
        raise UsageError(f"--csv_file {path}: no such file") from None
    key = (str(path), st.st_size, st.st_mtime_ns, label_column)
    if key not in _CACHE:
        x, y, classes, names = parse(path, label_column)
        test = stratified_test_mask(y)
        if test.all() or not test.any():
            raise UsageError(f"--csv_file {path}: {y.shape[0]} rows are too few for a train/test split")
        train_set, test_set = table_split(x, y, test)
        source = dataclasses.replace(SOURCE, num_classes=len(classes), class_names=tuple(classes),
                                     image_shape=(1, 1, len(names)), train_size=len(train_set))
        _CACHE[key] = (source, train_set, test_set)
    return _CACHE[key]
