"""Inference modules of exported models: CSR linear layers; semi-structured (2:4) linear layers and
convolutions (a convolution as one GEMM of its weight seen as (out, kh * kw * in), whose groups of 4
consecutive inputs are 4 input channels at one (kh, kw): the layout of `pruning.pattern`)."""
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


def conv_matrix(weight: torch.Tensor) -> torch.Tensor:
    """(out, in, kh, kw) -> (out, kh * kw * in): input channels innermost, as sparse tensor cores group them."""
    return weight.permute(0, 2, 3, 1).reshape(weight.shape[0], -1)


def conv_as_gemm(x: torch.Tensor, matrix: torch.Tensor, conv: nn.Conv2d, bias: torch.Tensor | None) -> torch.Tensor:
    """conv(x) computed as matrix @ columns (F.unfold's (in, kh, kw) rows reordered to (kh, kw, in))."""
    b, c, h, w = x.shape
    kh, kw = conv.kernel_size
    cols = nn.functional.unfold(x, (kh, kw), dilation=conv.dilation, padding=conv.padding, stride=conv.stride)
    length = cols.shape[-1]
    cols = cols.view(b, c, kh * kw, length).transpose(1, 2).reshape(b, kh * kw * c, length)
    cols = cols.permute(1, 0, 2).reshape(kh * kw * c, b * length)
    pad = (-cols.shape[1]) % 8  # the dense operand of a 2:4 GEMM: columns a multiple of 8
    if pad:
        cols = torch.cat([cols, cols.new_zeros(cols.shape[0], pad)], 1)
    y = (matrix @ cols)[:, :b * length].reshape(-1, b, length).permute(1, 0, 2)
    if bias is not None:
        y = y + bias.view(1, -1, 1)
    out_h = (h + 2 * conv.padding[0] - conv.dilation[0] * (kh - 1) - 1) // conv.stride[0] + 1
    out_w = (w + 2 * conv.padding[1] - conv.dilation[1] * (kw - 1) - 1) // conv.stride[1] + 1
    return y.reshape(b, -1, out_h, out_w)


class SemiStructuredConv2d(nn.Module):
    """A convolution (groups=1, zero padding) whose 2:4 weight matrix is a `SparseSemiStructuredTensor` (CUDA)."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        from torch.sparse import to_sparse_semi_structured

        self.conv = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                              conv.dilation, bias=False, device="meta")  # geometry only
        self.weight = nn.Parameter(to_sparse_semi_structured(conv_matrix(conv.weight.detach()).contiguous()),
                                   requires_grad=False)
        self.bias = nn.Parameter(conv.bias.detach().clone(), requires_grad=False) if conv.bias is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv_as_gemm(x, self.weight, self.conv, self.bias)


def replace_module(model: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, new)
