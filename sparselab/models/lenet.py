"""`[mnist_]lenet_<N1>_<N2>...`: a fully connected network (LeCun et al. 1998 style): the flattened input,
hidden Linear+ReLU layers `fc_layers.<i>` of widths N1, N2, ..., then the output layer `fc`."""
from __future__ import annotations

import re

import torch
from torch import nn

from sparselab.models import presets
from sparselab.models.base import InputShape, Model, ModelFamily, positive_int


class LeNet(Model):
    def __init__(self, hidden: list[int], input_shape: InputShape, num_classes: int) -> None:
        super().__init__(input_shape, num_classes)
        widths = [input_shape[0] * input_shape[1] * input_shape[2], *hidden]
        self.fc_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)  # logical (C, H, W) order whatever the memory format
        for layer in self.fc_layers:
            x = torch.relu_(layer(x))  # in place: see models/README.md
        return self.fc(x)


class LeNetFamily(ModelFamily):
    PATTERN = r"(?:mnist_)?lenet((?:_\d+)+)"
    DISPLAY = "[mnist_]lenet_<N1>[_<N2>...]"
    BATCHNORM = False
    MODEL = LeNet
    PRESET = presets.MNIST_LENET

    def parse(self, name: str, match: re.Match[str]) -> tuple[list[int]]:
        return ([positive_int(part, "hidden width", name) for part in match.group(1)[1:].split("_")],)


FAMILY = LeNetFamily()
