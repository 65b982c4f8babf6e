"""Live views of a registry dict: a new entry (one line in the registry, or one in a test) is seen
by every list of choices, every help text built after it and every lookup derived from it."""
from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping, Sequence


class Names(Sequence[str]):
    """The names of `registry` between `fixed` and `after` ones, read when used (a tuple that never goes
    stale)."""

    def __init__(self, registry: Mapping[str, Any], fixed: Sequence[str] = (), after: Sequence[str] = ()) -> None:
        self._registry, self._fixed, self._after = registry, tuple(fixed), tuple(after)

    def _names(self) -> tuple[str, ...]:
        return (*self._fixed, *self._registry, *self._after)

    def __getitem__(self, i):  # type: ignore[override]
        return self._names()[i]

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._fixed or name in self._registry or name in self._after

    def __repr__(self) -> str:
        return repr(self._names())


class Derived(Mapping[str, Any]):
    """`name -> make(name, registry[name])` after the `fixed` entries, computed on lookup."""

    def __init__(self, registry: Mapping[str, Any], make: Callable[[str, Any], Any],
                 fixed: Mapping[str, Any] | None = None) -> None:
        self._registry, self._make, self._fixed = registry, make, dict(fixed or {})

    def __getitem__(self, name: str) -> Any:
        if name in self._fixed:
            return self._fixed[name]
        return self._make(name, self._registry[name])

    def __iter__(self) -> Iterator[str]:
        return iter((*self._fixed, *self._registry))

    def __len__(self) -> int:
        return len(self._fixed) + len(self._registry)


class Where(Mapping[str, Any]):
    """The entries of `registry` whose value passes `keep`, read when used (a sub-registry that never
    goes stale: e.g. the scores that rank whole channels)."""

    def __init__(self, registry: Mapping[str, Any], keep: Callable[[Any], bool]) -> None:
        self._registry, self._keep = registry, keep

    def __getitem__(self, name: str) -> Any:
        value = self._registry[name]
        if not self._keep(value):
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, value in self._registry.items() if self._keep(value)])

    def __len__(self) -> int:
        return sum(1 for value in self._registry.values() if self._keep(value))
