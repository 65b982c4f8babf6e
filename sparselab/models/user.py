"""A model family of one name whose builder comes from user code (sparselab.register_model)."""
from __future__ import annotations

import re
from typing import Any, Callable

from sparselab.core.errors import UsageError
from sparselab.models.base import InputShape, Model, ModelFamily


class UserFamily(ModelFamily):
    def __init__(self, name: str, builder: Callable[[InputShape, int], Any]) -> None:
        self.name = name
        self.builder = builder
        self.PATTERN = re.escape(name)  # type: ignore[misc]
        self.DISPLAY = f"{name} (registered by user code)"  # type: ignore[misc]

    def parse(self, name: str, match: re.Match[str]) -> None:
        return None

    def construct(self, spec: None, input_shape: InputShape, num_classes: int) -> Model:
        model = self.builder(input_shape, num_classes)
        if not isinstance(model, Model):
            raise UsageError(f"model {self.name!r}: its builder returned a {type(model).__name__}, not a "
                             "sparselab.models.base.Model (subclass it; name the output layer `fc`)")
        return model
