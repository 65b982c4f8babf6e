"""Input-to-output connectivity of a masked network, and a minimal repair.

`check_connectivity`: on a float64 copy with masked weights mask / fan_in and norms neutral, one all-ones
input; R > 0 iff a kept path exists, and a weight is on one iff w * dR/dw > 0 (lower bound with max pooling).
`repair_flow`: every unit without kept input or output gets back its strongest (largest |w|) weight."""
from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.sparsity.mask import Mask, prunable_names

_NORMS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm)


def _units(m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(output units with a kept weight, input units with a kept weight) of a [out, in, ...] mask."""
    rows = m.reshape(m.shape[0], -1).any(dim=1)
    if m.dim() == 1:
        return rows, torch.ones(1, dtype=torch.bool)
    cols = m.transpose(0, 1).reshape(m.shape[1], -1).any(dim=1)
    return rows, cols


def _graph_copy(model: nn.Module, mask: Mask) -> nn.Module:
    work = copy.deepcopy(model).to(torch.device("cpu"), torch.float64)
    work.eval()
    prunable = set(prunable_names(model))
    with torch.no_grad():
        for module in work.modules():
            if isinstance(module, _NORMS):
                if getattr(module, "weight", None) is not None:
                    module.weight.fill_(1)
                if getattr(module, "bias", None) is not None:
                    module.bias.zero_()
                if getattr(module, "running_mean", None) is not None:
                    module.running_mean.zero_()
                    module.running_var.fill_(1)
        for name, p in work.named_parameters():
            p.requires_grad_(name in prunable)
            if name in prunable:
                kept = mask[name].to(torch.float64) if name in mask else torch.ones_like(p)
                p.copy_(kept / (p[0].numel() if p.dim() > 1 else 1))
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.abs_()
    return work


def check_connectivity(model: nn.Module, mask: Mask, input_shape: tuple[int, ...] | None = None) -> dict[str, Any]:
    """{"connected", "flow", "kept", "kept_on_path", "fraction_on_path", "layers": {name: {...}}}."""
    mask.check_model(model)
    shape = input_shape or getattr(model, "input_shape", None)
    if shape is None:
        raise UsageError("check_connectivity needs the model's input shape (model.input_shape or input_shape=)")
    work = _graph_copy(model, mask)
    out = work(torch.ones((1, *shape), dtype=torch.float64))
    flow = out.sum()
    flow.backward()
    params = dict(work.named_parameters())
    layers, kept_total, on_path_total = {}, 0, 0
    for name, m in mask.items():
        p = params[name]
        on_path = (p.grad * p.detach() > 0) if p.grad is not None else torch.zeros_like(m)
        rows, cols = _units(m)
        kept = int(m.sum())
        layers[name] = {"kept": kept, "kept_on_path": int(on_path.sum()), "out_units": int(rows.numel()),
                        "dead_outputs": int((~rows).sum()), "in_units": int(cols.numel()),
                        "dead_inputs": int((~cols).sum())}
        kept_total += kept
        on_path_total += layers[name]["kept_on_path"]
    return {"connected": bool(flow > 0), "flow": float(flow.detach()), "kept": kept_total,
            "kept_on_path": on_path_total, "fraction_on_path": on_path_total / kept_total if kept_total else 0.0,
            "layers": layers}


def repair_flow(model: nn.Module, mask: Mask) -> Mask:
    """A superset of `mask` in which no unit of a masked tensor is left without input or output."""
    params = mask.check_model(model)
    repaired = mask.clone()
    for name, m in repaired.items():
        if m.dim() < 2:
            continue
        strength = params[name].detach().abs().cpu()
        rows, cols = _units(m)
        flat = m.view(m.shape[0], -1)
        for i in (~rows).nonzero().flatten().tolist():
            flat[i, strength[i].reshape(-1).argmax()] = True
        _, cols = _units(m)  # a repaired row may already have fixed an input unit
        for j in (~cols).nonzero().flatten().tolist():
            column = strength[:, j]  # [out, *kernel]
            index = torch.unravel_index(column.reshape(-1).argmax(), column.shape)
            m[(index[0], j, *index[1:])] = True
    return repaired
