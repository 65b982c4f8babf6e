"""When a field's flag exists (`hparam(only_with=...)`, as OpenLTH's per-choice bundles). `get(name)` reads another
flag: as typed, else the preset's, else the default; on a recorded hparams.json it tells which fields did not apply."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Sequence

Get = Callable[[str], Any]
Values = Iterable[str] | Callable[[], Iterable[str]]


def _names(values: Values) -> list[str]:
    return list(values() if callable(values) else values)


def is_set(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip().lower() in ("", "none", "null"))


def is_on(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "on"))


@dataclasses.dataclass(frozen=True)
class When:
    """`holds(get)`: whether the flag exists; `hint(get, prefix)`: what it needs."""

    holds: Callable[[Get], bool]
    need: Callable[[Get, str], str]

    def hint(self, get: Get, prefix: str = "") -> str:
        return self.need(get, prefix)


def one_of(field: str, values: Values) -> When:
    """`values`: a list, or a function returning a registry's current names."""
    return When(lambda get: get(field) in _names(values),
                lambda get, p: f"--{p}{field}={'|'.join(_names(values))} (not {get(field)})")


def none_of(field: str, values: Values) -> When:
    return When(lambda get: get(field) not in _names(values),
                lambda get, p: f"--{p}{field} other than {'|'.join(_names(values))} (not {get(field)})")


def given(field: str) -> When:
    return When(lambda get: is_set(get(field)), lambda get, p: f"--{p}{field}")


def unset(field: str) -> When:
    return When(lambda get: not is_set(get(field)), lambda get, p: f"no --{p}{field} (not {get(field)})")


def on(field: str) -> When:
    return When(lambda get: is_on(get(field)), lambda get, p: f"--{p}{field}")


def off(field: str) -> When:
    return When(lambda get: not is_on(get(field)), lambda get, p: f"--no_{p}{field}")


def nonempty(field: str) -> When:
    return When(lambda get: bool(str(get(field) or "").strip()), lambda get, p: f"a non-empty --{p}{field}")


def positive(field: str) -> When:
    def holds(get: Get) -> bool:
        try:
            return float(get(field)) > 0
        except (TypeError, ValueError):
            return False
    return When(holds, lambda get, p: f"--{p}{field} > 0 (not {get(field)})")


def either(*whens: When) -> When:
    return When(lambda get: any(w.holds(get) for w in whens),
                lambda get, p: " or ".join(w.hint(get, p) for w in whens))


def all_of(*whens: When) -> When:
    return When(lambda get: all(w.holds(get) for w in whens),
                lambda get, p: " and ".join(w.hint(get, p) for w in whens))


def conditions(only_with: Any) -> tuple[When, ...]:
    """`only_with`: a `(choice, values)` pair, one `When`, or a sequence of `When`s (all hold)."""
    if only_with is None:
        return ()
    if isinstance(only_with, When):
        return (only_with,)
    if isinstance(only_with, tuple) and len(only_with) == 2 and isinstance(only_with[0], str):
        return (one_of(only_with[0], only_with[1]),)
    return tuple(only_with)


def unmet(only_with: Any, get: Get, prefix: str = "") -> str | None:
    """None when the flag exists under `get`, else what it needs."""
    for when in conditions(only_with):
        if not when.holds(get):
            return when.hint(get, prefix)
    return None


def unchosen(cls: type, get: Get) -> set[str]:
    """The fields of bundle class `cls` whose flags do not exist under `get`."""
    return {f.name for f in dataclasses.fields(cls) if unmet(f.metadata.get("only_with"), get) is not None}


def typed_value(argv: Sequence[str], flag: str, default: Any) -> Any:
    """The last value given to `flag` in `argv` (`--flag=V`, `--flag V`, a bare bool `--flag` = True,
    `--no_flag` = False), else `default`."""
    value, negated = default, "--no_" + flag[2:]
    for i, word in enumerate(argv):
        if word == flag:
            following = argv[i + 1] if i + 1 < len(argv) else None
            value = following if following is not None and not following.startswith("--") else True
        elif word.startswith(flag + "="):
            value = word[len(flag) + 1:]
        elif word == negated:
            value = False
    return value
