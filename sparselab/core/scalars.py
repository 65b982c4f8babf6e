"""Scalar values of hyperparameter fields: annotation types, ASCII-only parsing, shared bounds."""
from __future__ import annotations

import argparse
import dataclasses
import math
import re
import typing
from typing import Any

from sparselab.core.errors import UsageError
from sparselab.core.step import shown

_SCALARS = (bool, int, float, str)
MAX_INT = 2**63 - 1  # every integer flag fits a signed 64-bit integer (seeds included)
# ASCII only: int()/float() would also take full-width digits, underscores, 'infinity', ...
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)


def scalar_type(annotation: Any) -> tuple[type, bool]:
    """(the scalar type, whether None is allowed) of a field annotation such as `float | None`."""
    args = typing.get_args(annotation)
    if args:
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1 and inner[0] in _SCALARS:
            return inner[0], True
        raise TypeError(f"unsupported hparam annotation {annotation!r}")
    if annotation in _SCALARS:
        return annotation, False
    raise TypeError(f"unsupported hparam annotation {annotation!r}")


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def parse_scalar(kind: type, raw: str) -> Any:
    """A command-line string as `kind`; ValueError when it is not one (ASCII digits only)."""
    if kind is bool:
        return parse_bool(raw)
    if kind is int:
        if not _INT_TEXT.fullmatch(raw.strip()):
            raise ValueError(raw)
        return int(raw)
    if kind is float:
        if not _FLOAT_TEXT.fullmatch(raw.strip()):
            raise ValueError(raw)
        return float(raw)
    return raw


def parse_number(kind: type, text: str, flag: str) -> Any:
    """The one parser of every numeric flag and range bound: ASCII digits only (no '１', '١', '1_0',
    'infinity'); a bad text is one `UsageError` naming the flag."""
    try:
        return parse_scalar(kind, text)
    except ValueError:
        raise UsageError(f"{flag}: expected {kind.__name__} in ASCII digits, got {shown(text)}") from None


def number_flag(kind: type) -> Any:
    """`parse_number` as an argparse `type=` (argparse names the flag in its error line)."""

    def convert(text: str) -> Any:
        try:
            return parse_scalar(kind, text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__} in ASCII digits, got {shown(text)}") from None

    convert.__name__ = kind.__name__  # argparse's fallback message names the type
    return convert


def bool_flag(flag: str):
    def convert(text: str) -> bool:
        try:
            return parse_bool(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag}: expected true/false, got {text!r}") from None

    return convert


def check_scalar(f: dataclasses.Field, value: Any) -> None:
    """Bounds every field shares: finite floats, 64-bit ints, ASCII names in hashed strings."""
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"--{f.name} must be a finite number, got {value!r}")
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_INT:
            raise UsageError(f"--{f.name}: {value} is out of range (at most {MAX_INT} in absolute value)")
        if f.name.endswith("seed") and value < 0:
            raise UsageError(f"--{f.name}: a seed is a non-negative integer, got {value}")
    if isinstance(value, str) and f.metadata.get("hashed", True) and not (value.isascii() and value.isprintable()):
        raise UsageError(f"--{f.name}: only printable ASCII characters are accepted, got {shown(value)}")
