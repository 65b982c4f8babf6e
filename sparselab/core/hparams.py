"""Typed hyperparameter bundles: frozen dataclass fields become flags (`--lr`, `--retrain_t_lr`) and a canonical
form for hashing: the fields that differ from their default, so a new field with a no-op default moves no hash."""
from __future__ import annotations

import argparse
import dataclasses
import functools
import typing
from typing import Any, Callable, ClassVar, Iterable, Mapping, Sequence

from sparselab.core.registry import Names
from sparselab.core.errors import UsageError
from sparselab.core.scalars import bool_flag, check_scalar, parse_number, parse_scalar, scalar_type
from sparselab.core.step import shown
from sparselab.core.when import typed_value, unmet

_UNSET: Any = object()  # "no hash baseline": canonical() compares against the dataclass default


def hparam(default: Any, help: str | Callable[[], str], *, choices: Iterable[str] | None = None, hashed: bool = True,
           hash_baseline: Any = _UNSET, step: str | None = None, absent: Any = _UNSET,
           only_with: Any = None) -> Any:
    """A bundle field. `help` may be a function (called when the parser is built); `hashed=False`: no effect on
    results. `hash_baseline`: the value `canonical()` leaves out instead of the default (old jobs keep their hash
    when a default changed meaning). `step="one"|"list"`: a step or step list, canonicalised before hashing.
    `absent`: what an hparams.json written before the field existed meant. `only_with`: `(choice_field, values)`
    or `core.when` conditions; elsewhere the flag is refused and the field keeps its preset or default."""
    if choices is not None and not isinstance(choices, Names):  # a registry's Names stay live
        choices = tuple(choices)
    meta = {"help": help, "choices": choices, "hashed": hashed,
            "hash_baseline": hash_baseline, "step": step, "absent": absent, "only_with": only_with}
    return dataclasses.field(default=default, metadata=meta)


def _baseline(f: dataclasses.Field) -> Any:
    baseline = f.metadata.get("hash_baseline", _UNSET)
    return f.default if baseline is _UNSET else baseline


def _add_flag(group: Any, flag: str, dest: str, kind: type, optional: bool, help_text: str) -> None:
    if kind is bool:
        group.add_argument(flag, dest=dest, nargs="?", const=True, type=bool_flag(flag),
                           default=argparse.SUPPRESS, metavar="BOOL", help=help_text)
        group.add_argument("--no_" + flag[2:], dest=dest, action="store_const", const=False,
                           default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    else:
        group.add_argument(flag, dest=dest, type=str, default=argparse.SUPPRESS,
                           metavar=kind.__name__.upper() + ("?" if optional else ""), help=help_text)


SECTIONS: dict[str, type["Hparams"]] = {}  # hparams.json section -> bundle class (filled on class creation)


@dataclasses.dataclass(frozen=True)
class Hparams:
    """Base of every bundle: `_group` is the --help heading."""

    _group: ClassVar[str] = "Hyperparameters"
    section: ClassVar[str | None] = None  # its key in hparams.json, where a runner records it
    retired_flags: ClassVar[Mapping[str, str]] = {}  # field -> what to type instead ({p}: the prefix)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("section"):
            SECTIONS[cls.section] = cls  # type: ignore[index]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kind, optional = self.field_type(f.name)
            if value is None:
                if not optional:
                    raise UsageError(f"--{f.name} needs a value")
                continue
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, f.name, float(value))
                value = float(value)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise UsageError(f"--{f.name}: expected {kind.__name__}, got {value!r}")
            check_scalar(f, value)
            choices = f.metadata.get("choices")
            if choices is not None and value not in choices:
                raise UsageError(f"--{f.name}: unknown value {value!r}; choose from {', '.join(choices)}")
        self.validate()

    def validate(self) -> None:
        """Raise `UsageError` for well-typed but wrong values."""

    def validate_steps(self, iterations_per_epoch: int) -> None:
        """Raise `UsageError` for steps that cannot make sense together."""

    def given(self, name: str) -> bool:
        """Whether `name` was typed (True in code): a preset's milestone after a shortened end is harmless."""
        given = getattr(self, "_given", None)
        return given is None or name in given

    def with_canonical_steps(self, iterations_per_epoch: int | None) -> "Hparams":
        """Every step field canonical (core.step); checked against each other once the epoch length is known."""
        from sparselab.core.step import canonical_step, canonical_step_list

        changes = {}
        for f in dataclasses.fields(self):
            value, kind = getattr(self, f.name), f.metadata.get("step")
            if kind is None or value is None:
                continue
            convert = canonical_step if kind == "one" else canonical_step_list
            changes[f.name] = convert(value, iterations_per_epoch, f"--{f.name}")
        out = dataclasses.replace(self, **changes) if changes else self
        object.__setattr__(out, "_given", getattr(self, "_given", None))
        if iterations_per_epoch is not None:
            out.validate_steps(iterations_per_epoch)
        return out

    @classmethod
    def field_type(cls, name: str) -> tuple[type, bool]:
        return _field_types(cls)[name]

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {f.name: f.default for f in dataclasses.fields(cls)}

    def canonical(self) -> dict[str, Any]:
        """The hashed fields whose value differs from the dataclass default (or from its `hash_baseline`)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.metadata.get("hashed", True) and getattr(self, f.name) != _baseline(f)}

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def replace(self, **changes: Any) -> "Hparams":
        return dataclasses.replace(self, **changes)

    def display(self) -> str:
        """Banner lines: every field, marked * where it enters the hash."""
        lines = [f"{self._group}:"]
        for f in dataclasses.fields(self):
            value = self.__dict__[f.name]
            mark = "*" if value != _baseline(f) else " "
            lines.append(f"  {mark} {f.name} = {value}")
        return "\n".join(lines)

    @classmethod
    def add_args(cls, parser: argparse.ArgumentParser, prefix: str = "", defaults: Mapping[str, Any] | None = None,
                 title: str | None = None, omit: Mapping[str, str] | None = None,
                 only_with: Mapping[str, Any] | None = None) -> None:
        """One flag per field, defaulting to SUPPRESS (so `from_args` sees what was typed); `defaults`: a preset.
        `omit`: field -> where it is a flag instead; `only_with`: field -> the command's own conditions."""
        group = parser.add_argument_group(title or cls._group)
        defaults, extra, omitted = dict(defaults or {}), dict(only_with or {}), dict(omit or {})
        known, absent = getattr(parser, "flag_values", {}), getattr(parser, "absent", {})
        for f in dataclasses.fields(cls):
            known[f"{prefix}{f.name}"] = defaults.get(f.name, f.default)
        for name, instead in cls.retired_flags.items():
            absent[f"--{prefix}{name}"] = f"--{prefix}{name} was retired: {instead.format(p=prefix)}"
        for f in dataclasses.fields(cls):
            if f.name in omitted:
                absent[f"--{prefix}{f.name}"] = f"--{prefix}{f.name} is not a flag here: {omitted[f.name]}"
            else:
                cls._add_field(parser, group, f, prefix, defaults, extra.get(f.name))

    @classmethod
    def _add_field(cls, parser: Any, group: Any, f: dataclasses.Field, prefix: str, defaults: Mapping[str, Any],
                   extra: Any) -> None:
        kind, optional = cls.field_type(f.name)
        flag = f"--{prefix}{f.name}"
        help_text = f.metadata.get("help", "")
        help_text = (help_text() if callable(help_text) else help_text).replace("%", "%%")  # argparse %-formats
        choices = f.metadata.get("choices")
        suffix = f" (default: {defaults.get(f.name, f.default)})".replace("%", "%%")
        if choices:
            suffix = f" [{'|'.join(choices)}]" + suffix
        add = functools.partial(_add_flag, group, flag, f"{prefix}{f.name}", kind, optional, help_text + suffix)
        conds = [c for c in (f.metadata.get("only_with"), extra) if c is not None]
        if not conds or not hasattr(parser, "add_when"):
            return add()
        known = parser.flag_values

        def need(argv: Sequence[str]) -> str | None:
            def get(name: str) -> Any:
                dest = f"{prefix}{name}" if f"{prefix}{name}" in known else name
                return typed_value(argv, f"--{dest}", known.get(dest))
            return next((n for n in (unmet(c, get, prefix) for c in conds) if n is not None), None)
        parser.add_when([flag, "--no_" + flag[2:]] if kind is bool else [flag], need, add)

    @classmethod
    def from_args(cls, args: argparse.Namespace, prefix: str = "", defaults: Mapping[str, Any] | None = None
                  ) -> "Hparams":
        """Typed flag, else preset value (never refused), else default; then validated."""
        values: dict[str, Any] = {}
        defaults = dict(defaults or {})
        typed = [f.name for f in dataclasses.fields(cls) if hasattr(args, f"{prefix}{f.name}")]
        for f in dataclasses.fields(cls):
            dest = f"{prefix}{f.name}"
            if hasattr(args, dest):
                values[f.name] = cls.parse_value(f.name, getattr(args, dest), flag=f"--{dest}")
            elif f.name in defaults:
                values[f.name] = defaults[f.name]
        built = cls(**values)
        object.__setattr__(built, "_given", frozenset(typed))
        return built

    @classmethod
    def parse_value(cls, name: str, raw: Any, flag: str | None = None) -> Any:
        flag = flag or f"--{name}"
        if not isinstance(raw, str):
            return raw
        kind, optional = cls.field_type(name)
        if optional and kind is str and not raw.strip():  # `--root=` must not silently mean the default root
            raise UsageError(f"{flag}: empty value; leave the flag out (or give none) for its default")
        if optional and raw.strip().lower() in ("", "none", "null"):
            return None
        if kind in (int, float):
            return parse_number(kind, raw, flag)
        try:
            return parse_scalar(kind, raw)
        except ValueError:
            raise UsageError(f"{flag}: expected {kind.__name__}, got {shown(raw)}") from None

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "Hparams":
        known = set(cls.field_names())
        unknown = sorted(set(values) - known)
        if unknown:
            raise UsageError(f"{cls.__name__}: unknown field(s) {', '.join(unknown)}")
        filled = {f.name: f.metadata["absent"] for f in dataclasses.fields(cls)
                  if f.name not in values and f.metadata.get("absent", _UNSET) is not _UNSET}
        return cls(**filled, **dict(values))


def require(condition: bool, message: str) -> None:
    if not condition:
        raise UsageError(message)


@functools.lru_cache(maxsize=None)
def _field_types(cls: type) -> dict[str, tuple[type, bool]]:
    """(scalar type, optional) per field; cached: 2 ms per bundle, built hundreds of times per run."""
    hints = typing.get_type_hints(cls)
    return {f.name: scalar_type(hints[f.name]) for f in dataclasses.fields(cls)}
