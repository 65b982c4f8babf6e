"""Opt-in (`--fused_eval`, not hashed) evaluation graphs: BatchNorm folded into the convolution before it and,
on the CPU in fp32, conv + ReLU (or + residual add + ReLU) as one oneDNN call: CPU evaluation is memory-bound
(ResNet-20 1.4x faster, bench/eval_speed.py). Outputs agree to ~1e-6, so only near-tied logits can change.
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
    _FUSED["on"] = bool(on)


def evaluation_forward(model: nn.Module, onednn: bool) -> nn.Module:
    return evaluation_model(model, onednn) if _FUSED["on"] else model


def evaluation_model(model: nn.Module, onednn: bool) -> nn.Module:
    """A traced copy (the model is never modified); untraceable or conv-free models are returned as they are."""
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
    if node is None:
        return False
    return ((node.op == "call_function" and node.target in RELU_FUNCTIONS)
            or (node.op == "call_method" and node.target in RELU_METHODS)
            or (node.op == "call_module" and type(modules.get(node.target)) is nn.ReLU))  # type: ignore[arg-type]


def _residual_other(add: fx.Node | None, tail: fx.Node) -> fx.Node | None:
    """The other operand of `add` of `tail` and a node; not `other.add_(tail)` (later readers of `other`)."""
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
    """conv [-> bn] [-> relu | -> add -> relu] becomes one FusedConv call; 1 if done."""
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
