"""Inference modules of exported models: CSR and semi-structured (2:4) linear layers."""
from __future__ import annotations

import torch
from torch import nn


class CSRLinear(nn.Module):
    """y = x W^T + b with W a `torch.sparse_csr_tensor` (CPU or CUDA)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.out_features, self.in_features = weight.shape
        self.register_buffer("weight", weight if weight.layout == torch.sparse_csr else weight.to_sparse_csr())
        self.register_buffer("bias", bias.detach().clone() if bias is not None else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.in_features)
        y = (self.weight @ flat.t().contiguous()).t()  # a non-contiguous right side takes a slow path
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*x.shape[:-1], self.out_features)


class SemiStructuredLinear(nn.Module):
    """A linear layer whose 2:4 weight is a `SparseSemiStructuredTensor` (CUDA only)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        from torch.sparse import to_sparse_semi_structured

        self.out_features, self.in_features = weight.shape
        self.weight = nn.Parameter(to_sparse_semi_structured(weight.detach()), requires_grad=False)
        self.bias = nn.Parameter(bias.detach().clone(), requires_grad=False) if bias is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x, self.weight, self.bias)


def replace_module(model: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, new)
