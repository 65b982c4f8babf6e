"""Orthogonal repair and looks-linear initialisation of sparse layers (Gadhikar et al. 2023, ER_DST).

`ortho_repair`: `steps` gradient steps on ||(M*W)(M*W)^T - I||_F (not squared), each from a zeroed gradient
(the snapshot accumulates them: not reproduced), then W = M*W. `looks_linear_`: [W0; -W0] for the first
tensor, [[W0, -W0], [-W0, W0]] later (W0 the QR-orthogonalised top-left block of the tensor's own init),
divided by sqrt(mask density): with ReLU the dense network starts as a linear map."""
from __future__ import annotations

import math

import torch
from torch import nn

from sparselab.sparsity.mask import Mask, prunable_names

ORTHO_REPAIR_STEPS = 1000  # ER_DST --ortho-repair
ORTHO_REPAIR_LR = 1e-2


def orthogonality_gap(weight: torch.Tensor, mask: torch.Tensor) -> float:
    """||(M*W)(M*W)^T - I||_F of a tensor viewed as [n_out, fan_in]."""
    flat = (weight.detach() * mask).reshape(weight.shape[0], -1).double()
    eye = torch.eye(flat.shape[0], dtype=flat.dtype, device=flat.device)
    return float(torch.linalg.norm(flat @ flat.T - eye))


def repair_tensor(weight: torch.Tensor, mask: torch.Tensor, steps: int, lr: float) -> torch.Tensor:
    """The repaired, re-masked copy of one tensor (computed in its own dtype)."""
    m = mask.to(weight.dtype).reshape(weight.shape[0], -1)
    w = weight.detach().reshape(weight.shape[0], -1).clone().requires_grad_(True)
    eye = torch.eye(w.shape[0], dtype=w.dtype, device=w.device)
    with torch.enable_grad():
        for _ in range(steps):
            masked = w * m
            loss = torch.linalg.norm(masked @ masked.T - eye)
            (grad,) = torch.autograd.grad(loss, w)
            with torch.no_grad():
                w -= lr * grad
    return (w.detach() * m).reshape(weight.shape)


def ortho_repair(model: nn.Module, mask: Mask, steps: int = ORTHO_REPAIR_STEPS, lr: float = ORTHO_REPAIR_LR) -> None:
    params = mask.check_model(model)
    for name, m in mask.items():
        p = params[name]
        if p.dim() < 2:
            continue
        repaired = repair_tensor(p, m.to(p.device), steps, lr)
        with torch.no_grad():
            p.copy_(repaired)


def orthogonalise(block: torch.Tensor) -> torch.Tensor:
    """The orthogonal matrix of `block` (viewed as [rows, rest]): Q of its QR, columns signed by diag(R)."""
    rows = block.shape[0]
    flat = block.reshape(rows, -1).double()
    transpose = rows < flat.shape[1]
    if transpose:
        flat = flat.T
    q, r = torch.linalg.qr(flat)
    q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)
    if transpose:
        q = q.T
    return q.reshape(block.shape).to(block.dtype)


def looks_linear_tensor(weight: torch.Tensor, first: bool) -> torch.Tensor:
    """[W0; -W0] (first layer) or [[W0, -W0], [-W0, W0]], cropped to `weight`'s shape."""
    out_half = math.ceil(weight.shape[0] / 2)
    if first or weight.dim() < 2:
        w0 = orthogonalise(weight[:out_half])
        return torch.cat([w0, -w0], dim=0)[: weight.shape[0]]
    in_half = math.ceil(weight.shape[1] / 2)
    w0 = orthogonalise(weight[:out_half, :in_half])
    top = torch.cat([w0, -w0], dim=1)
    return torch.cat([top, -top], dim=0)[: weight.shape[0], : weight.shape[1]]


@torch.no_grad()
def looks_linear_(model: nn.Module, mask: Mask) -> None:
    """Looks-linear weights for every masked tensor, divided by sqrt(the tensor's mask density)."""
    params = mask.check_model(model)
    order = prunable_names(model)
    for name, m in mask.items():
        p = params[name]
        density = int(m.sum()) / m.numel()
        new = looks_linear_tensor(p.detach(), first=bool(order) and name == order[0])
        p.copy_(new / math.sqrt(density) if density > 0 else new)
