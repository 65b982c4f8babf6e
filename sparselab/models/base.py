"""`Model` (knows its prunable tensors, every Conv2d/Linear weight, and its output layer) and `ModelFamily`
(a name pattern such as `cifar_resnet_<D>` -> a `Model` and its `--default_hparams` preset)."""
from __future__ import annotations

import abc
import re
from typing import Any, Callable, ClassVar, Sequence

from torch import nn

from sparselab.core.errors import UsageError

InputShape = tuple[int, int, int]
Preset = dict[str, object]
PRUNABLE_TYPES: tuple[type[nn.Module], ...] = (nn.Conv2d, nn.Linear)


class Model(nn.Module):
    """Base of every architecture; the output module is `fc` unless `OUTPUT_MODULE` says otherwise."""

    OUTPUT_MODULE: ClassVar[str] = "fc"

    def __init__(self, input_shape: InputShape, num_classes: int) -> None:
        super().__init__()
        self.input_shape: InputShape = tuple(input_shape)  # type: ignore[assignment]
        self.num_classes = num_classes
        self.model_name = ""  # set by `ModelFamily.build`

    @property
    def prunable_layer_names(self) -> list[str]:
        return [f"{name}.weight" for name, module in self.named_modules() if isinstance(module, PRUNABLE_TYPES)]

    @property
    def output_layer_names(self) -> list[str]:
        module = self.get_submodule(self.OUTPUT_MODULE)
        return [f"{self.OUTPUT_MODULE}.{name}" for name, _ in module.named_parameters()]


class ModelFamily(abc.ABC):
    """Models named by `PATTERN` (a regex for the whole name; `DISPLAY` is how users read it). `parse` turns a
    match into the arguments of `MODEL` before (input_shape, num_classes), raising UsageError for values the
    pattern admits but the architecture does not."""

    PATTERN: ClassVar[str]
    DISPLAY: ClassVar[str]
    MODEL: ClassVar[Any]
    PRESET: ClassVar[Preset | None] = None  # for --default_hparams=<name>
    BATCHNORM: ClassVar[bool] = True  # whether its models have BatchNorm layers (--batchnorm_init applies)

    def matches(self, name: str) -> bool:
        """Whether `name` has this family's shape (its values may still be invalid; see `validate`)."""
        return re.fullmatch(self.PATTERN, name) is not None

    def validate(self, name: str) -> Any:
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
    def parse(self, name: str, match: re.Match[str]) -> Any: ...

    def construct(self, spec: Any, input_shape: InputShape, num_classes: int) -> Model:
        return self.MODEL(*spec, input_shape, num_classes)

    def preset(self, name: str) -> Preset | None:
        return None if self.PRESET is None else {**self.PRESET, "model_name": name}


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


def stages(block: Callable[..., nn.Module], in_channels: int, widths: Sequence[int], counts: Sequence[int],
           *extra: int, expansion: int = 1) -> tuple[list[nn.Sequential], int]:
    """Stages of counts[i] blocks of widths[i] planes (the first block of each later stage strides 2), and the
    channels they end with."""
    out = []
    for stage, (planes, count) in enumerate(zip(widths, counts)):
        blocks = []
        for index in range(count):
            blocks.append(block(in_channels, planes, 2 if stage > 0 and index == 0 else 1, *extra))
            in_channels = planes * expansion
        out.append(nn.Sequential(*blocks))
    return out, in_channels
