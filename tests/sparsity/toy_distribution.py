"""A toy density rule for the registry test: every tensor at the target density."""
from __future__ import annotations


def rule(shapes, density, *, order=(), output_layer=None, options=None) -> dict[str, float]:
    return {name: density for name in shapes}
