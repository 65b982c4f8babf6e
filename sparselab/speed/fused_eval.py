"""Opt-in evaluation graphs (`--fused_eval`): a model's forward pass with each BatchNorm folded into the convolution before it
and, on the CPU in fp32, each convolution fused with the ReLU (or residual addition + ReLU) after it.

Why: on the CPU, evaluating a small-channel convolutional network is bound by passes over memory, not
by arithmetic. Eager mode writes every convolution's output, reads it back for BatchNorm, again for
ReLU and again for a residual addition. Folding BatchNorm into the convolution is exact algebra on the
running statistics; oneDNN's post-ops (`torch.ops.mkldnn._convolution_pointwise`) apply the addition
and ReLU while the output is still in registers. ResNet-20 evaluates about 1.4x faster
(`bench/eval_speed.py`). Outputs agree with eager evaluation to float rounding (about 1e-6 relative),
so a prediction can differ only where two logits tie to that precision.

The evaluation graph is built from a trace of the model's forward (`torch.fx`) at each evaluation,
from the weights as they are then; the model itself is never modified. A model without convolutions,
or one whose forward cannot be traced, is evaluated as it is.

Off by default: recorded accuracies and losses are then those of the trained module itself. With
`--fused_eval` a prediction can change at a near tie of two logits, which is why it is a choice
(not hashed, like the thread count: it changes float rounding, not the method).
"""
from __future__ import annotations

import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

RELU_FUNCTIONS = (torch.relu, torch.relu_, F.relu)
RELU_METHODS = ("relu", "relu_")
ADD_FUNCTIONS = (operator.add, torch.add)


class FusedConv(nn.Module):
    """conv2d with a folded bias, then `+ other` when called with it, and ReLU, as one oneDNN call on the CPU."""

    def __init__(self, conv: nn.Conv2d, bn: nn.BatchNorm2d | None, relu: bool, onednn: bool) -> None:
        super().__init__()
        weight, bias = fold_batchnorm(conv, bn)
        self.weight, self.bias = nn.Parameter(weight, False), nn.Parameter(bias, False) if bias is not None else None
        self.stride, self.dilation, self.groups = list(conv.stride), list(conv.dilation), conv.groups
        self.padding = list(conv.padding)  # type: ignore[arg-type]
        self.relu, self.onednn = relu, onednn

    def forward(self, x: torch.Tensor, other: torch.Tensor | None = None) -> torch.Tensor:
        unary = "relu" if self.relu else "none"
        if self.onednn and x.device.type == "cpu" and x.dtype == torch.float32:
            pointwise = torch.ops.mkldnn._convolution_pointwise
            args = (self.weight, self.bias, self.padding, self.stride, self.dilation, self.groups)
            if other is None:
                return pointwise(x, *args, unary, [], "")
            return pointwise.binary(x, other, *args, "add", None, unary if self.relu else None, [], "")
        out = F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        if other is not None:
            out = out + other
        return torch.relu(out) if self.relu else out


def fold_batchnorm(conv: nn.Conv2d, bn: nn.BatchNorm2d | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(weight, bias) of the convolution that computes bn(conv(x)) with bn's running statistics."""
    weight = conv.weight.detach()
    bias = conv.bias.detach() if conv.bias is not None else None
    if bn is None:
        return weight, bias
    assert bn.running_mean is not None and bn.running_var is not None
    scale = torch.rsqrt(bn.running_var + bn.eps)
    shift = -bn.running_mean * scale
    if bn.affine:
        scale, shift = scale * bn.weight.detach(), shift * bn.weight.detach() + bn.bias.detach()
    folded_bias = shift if bias is None else bias * scale + shift
    view = (-1,) + (1,) * (weight.dim() - 1)
    return weight * scale.view(view), folded_bias


_FUSED = {"on": False}


def use_fused_evaluation(on: bool) -> None:
    """Set by the platform from `--fused_eval`, once per process (like the thread count)."""
    _FUSED["on"] = bool(on)


def evaluation_forward(model: nn.Module, onednn: bool) -> nn.Module:
    """What evaluation calls: the trained module, or under `--fused_eval` its fused graph."""
    return evaluation_model(model, onednn) if _FUSED["on"] else model


def evaluation_model(model: nn.Module, onednn: bool) -> nn.Module:
    """The model to evaluate in place of `model` (module docstring); `onednn`: CPU fp32 evaluation."""
    if (model.training or hasattr(model, "_orig_mod")  # torch.compile'd: already fused its own way
            or not any(type(m) is nn.Conv2d for m in model.modules())):
        return model
    try:
        traced = fx.symbolic_trace(model)
    except Exception:  # noqa: BLE001 - data-dependent control flow and the like: evaluate eagerly
        return model
    fused = 0
    modules = dict(traced.named_modules())
    for node in list(traced.graph.nodes):
        if (node.op == "call_module" and len(node.args) == 1 and not node.kwargs
                and _fusable_conv(modules.get(node.target))):
            fused += _fuse_at(traced, modules, node, fused, onednn)
    if not fused:
        return model
    traced.graph.lint()
    traced.recompile()
    return traced


def _fusable_conv(module: Any) -> bool:
    return type(module) is nn.Conv2d and module.padding_mode == "zeros" and not isinstance(module.padding, str)


def _only_user(node: fx.Node) -> fx.Node | None:
    users = list(node.users)
    return users[0] if len(users) == 1 else None


def _is_relu(node: fx.Node | None, modules: dict[str, nn.Module]) -> bool:
    """A ReLU, in place or not (its input has no other user, so fusing it computes the same tensor)."""
    if node is None:
        return False
    return ((node.op == "call_function" and node.target in RELU_FUNCTIONS)
            or (node.op == "call_method" and node.target in RELU_METHODS)
            or (node.op == "call_module" and type(modules.get(node.target)) is nn.ReLU))  # type: ignore[arg-type]


def _residual_other(add: fx.Node | None, tail: fx.Node) -> fx.Node | None:
    """The other operand when `add` adds two nodes, one of them `tail`, followed by a ReLU, else None.
    `tail.add_(other)` qualifies (it overwrites only `tail`); `other.add_(tail)` does not: fusing would
    leave `other` unchanged for its later readers."""
    if add is None or add.kwargs or len(add.args) != 2 or not all(isinstance(a, fx.Node) for a in add.args):
        return None
    if add.op == "call_function" and add.target in ADD_FUNCTIONS:
        if add.args[0] is add.args[1]:
            return None
        other = add.args[1] if add.args[0] is tail else add.args[0]
    elif add.op == "call_method" and add.target in ("add", "add_") and add.args[0] is tail:
        other = add.args[1]
    else:
        return None
    return other if other is not tail else None  # type: ignore[return-value]


def _is_running_batchnorm(node: fx.Node | None, modules: dict[str, nn.Module]) -> bool:
    module = modules.get(node.target) if node is not None and node.op == "call_module" else None  # type: ignore[arg-type]
    return type(module) is nn.BatchNorm2d and module.track_running_stats and module.running_mean is not None


def _fuse_at(traced: fx.GraphModule, modules: dict[str, nn.Module], conv: fx.Node, index: int, onednn: bool) -> int:
    """Replace conv [-> bn] [-> relu | -> add -> relu] starting at `conv` by one FusedConv call; 1 if done."""
    chain, bn = [conv], None
    tail = conv
    if _is_running_batchnorm(_only_user(conv), modules):
        tail = _only_user(conv)  # type: ignore[assignment]
        bn = modules[tail.target]  # type: ignore[index]
        chain.append(tail)
    after, other, relu = _only_user(tail), None, False
    residual = _residual_other(after, tail)
    if _is_relu(after, modules):
        chain.append(after)  # type: ignore[arg-type]
        relu = True
    elif residual is not None and _is_relu(_only_user(after), modules):  # type: ignore[arg-type]
        other = residual
        chain += [after, _only_user(after)]  # type: ignore[list-item]
        relu = True
    if len(chain) == 1:
        return 0
    name = f"_evaluation_fused_{index}"
    traced.add_submodule(name, FusedConv(modules[conv.target], bn, relu, onednn))  # type: ignore[index]
    last = chain[-1]
    with traced.graph.inserting_before(last):
        replacement = traced.graph.call_module(name, (conv.args[0],) if other is None else (conv.args[0], other))
    last.replace_all_uses_with(replacement)
    for node in reversed(chain):
        traced.graph.erase_node(node)
    return 1
