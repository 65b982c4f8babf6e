"""The model base class and the interface every model family implements.

A `Model` knows which of its tensors may be pruned (the weight of every Conv2d and Linear, output
layer and shortcut convolutions included) and which tensors form its output layer. A `ModelFamily`
turns a name such as `cifar_resnet_20` into a `Model` and knows the preset hyperparameters that
`--default_hparams=<name>` loads.
"""
from __future__ import annotations

import abc
import re
from typing import Any, ClassVar, Generic, TypeVar

from torch import nn

from sparselab.core.errors import UsageError

InputShape = tuple[int, int, int]
Preset = dict[str, object]
PRUNABLE_TYPES: tuple[type[nn.Module], ...] = (nn.Conv2d, nn.Linear)


class Model(nn.Module):
    """Base of every architecture. Subclasses name their output module `fc` unless they override
    `OUTPUT_MODULE`."""

    OUTPUT_MODULE: ClassVar[str] = "fc"

    def __init__(self, input_shape: InputShape, num_classes: int) -> None:
        super().__init__()
        self.input_shape: InputShape = tuple(input_shape)  # type: ignore[assignment]
        self.num_classes = num_classes
        self.model_name = ""  # set by `ModelFamily.build`

    @property
    def prunable_layer_names(self) -> list[str]:
        """`<module>.weight` of every Conv2d and Linear, in `named_modules()` order."""
        return [f"{name}.weight" for name, module in self.named_modules() if isinstance(module, PRUNABLE_TYPES)]

    @property
    def output_layer_names(self) -> list[str]:
        """Names of the output layer's tensors, e.g. `["fc.weight", "fc.bias"]`."""
        module = self.get_submodule(self.OUTPUT_MODULE)
        return [f"{self.OUTPUT_MODULE}.{name}" for name, _ in module.named_parameters()]


Spec = TypeVar("Spec")


class ModelFamily(abc.ABC, Generic[Spec]):
    """A set of models named by one pattern.

    Subclasses set `PATTERN` (a regular expression matched against the whole name) and `DISPLAY`
    (the pattern as users read it in error messages), and implement `parse` (match -> architecture
    spec, raising UsageError for values the pattern admits but the architecture does not),
    `construct` and `preset`.
    """

    PATTERN: ClassVar[str]
    DISPLAY: ClassVar[str]
    BATCHNORM: ClassVar[bool] = True  # whether its models have BatchNorm layers (--batchnorm_init applies)

    def matches(self, name: str) -> bool:
        """Whether `name` has this family's shape (its values may still be invalid; see `validate`)."""
        return re.fullmatch(self.PATTERN, name) is not None

    def validate(self, name: str) -> Spec:
        """The architecture spec of `name`; UsageError if the name's values are not allowed."""
        match = re.fullmatch(self.PATTERN, name)
        if match is None:
            raise UsageError(f"model name {name!r} does not match {self.DISPLAY}")
        return self.parse(name, match)

    def build(self, name: str, input_shape: InputShape, num_classes: int) -> Model:
        """A freshly constructed model with PyTorch's default initialisation (see `models.registry`)."""
        model = self.construct(self.validate(name), tuple(input_shape), num_classes)  # type: ignore[arg-type]
        model.model_name = name
        return model

    @abc.abstractmethod
    def parse(self, name: str, match: re.Match[str]) -> Spec: ...

    @abc.abstractmethod
    def construct(self, spec: Spec, input_shape: InputShape, num_classes: int) -> Model: ...

    @abc.abstractmethod
    def preset(self, name: str) -> Preset | None:
        """Flat hyperparameter values for `--default_hparams=<name>`; None if the family has none."""


def positive_int(text: str | None, what: str, name: str, default: int | None = None) -> int:
    """Parse one numeric part of a model name; UsageError if it is zero."""
    if text is None:
        if default is None:
            raise UsageError(f"model name {name!r} is missing its {what}")
        return default
    if len(text) > 6:
        raise UsageError(f"model name {name!r}: {what} {text} is too large (at most 6 digits)")
    value = int(text)
    if value <= 0:
        raise UsageError(f"model name {name!r}: {what} must be a positive integer, got {value}")
    return value


def with_name(preset: dict[str, Any], name: str) -> Preset:
    """A copy of `preset` whose model_name is the name that was asked for."""
    return {**preset, "model_name": name}
