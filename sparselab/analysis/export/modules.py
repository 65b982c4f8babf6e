"""Modules of exported models: CSR linear layers; 2:4 linear layers and convolutions (one GEMM of the weight seen
as (out, kh * kw * in): groups of 4 inputs are 4 input channels at one (kh, kw), as `sparsity.pattern`); and the
removal of pruned channels (producer row and followers masked; gamma = beta = 0 made them zero after BN and ReLU)."""
from __future__ import annotations

import torch
from torch import nn

from sparselab.sparsity.channels import channel_groups, removed_channels
from sparselab.sparsity.mask import Mask


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


def _module_of(model: nn.Module, param: str) -> nn.Module:
    return model.get_submodule(param.rpartition(".")[0])


@torch.no_grad()
def _select(module: nn.Module, index: torch.Tensor, dim: int) -> None:
    """Keep `index` along `dim` of the module's parameters/buffers that have that dimension."""
    names = ("weight", "bias", "running_mean", "running_var") if dim == 0 else ("weight",)
    for name in names:
        t = getattr(module, name, None)
        if not isinstance(t, torch.Tensor):
            continue
        new = t.index_select(dim, index.to(t.device)).clone()
        if isinstance(t, nn.Parameter):
            setattr(module, name, nn.Parameter(new, requires_grad=t.requires_grad))
        else:
            setattr(module, name, new)
    k = int(index.numel())
    if isinstance(module, nn.Conv2d):
        module.out_channels, module.in_channels = (k, module.in_channels) if dim == 0 else (module.out_channels, k)
    elif isinstance(module, nn.Linear):
        module.out_features, module.in_features = (k, module.in_features) if dim == 0 else (module.out_features, k)
    elif isinstance(module, nn.BatchNorm2d):
        module.num_features = k


def shrink(model: nn.Module, keep: dict[str, torch.Tensor]) -> nn.Module:
    """Cut every channel group of `model` to the channels in `keep[producer]` (indices), in place."""
    for g in channel_groups(model):
        if g.producer not in keep:
            continue
        index = keep[g.producer]
        modules = {id(_module_of(model, n)): _module_of(model, n) for n in (g.producer, *g.followers)}
        for module in modules.values():
            _select(module, index, 0)
        _select(_module_of(model, g.consumer), index, 1)
    return model


def kept_channels(model: nn.Module, mask: Mask) -> dict[str, torch.Tensor]:
    """Producer -> indices of the channels that stay (only groups with at least one removed channel)."""
    out = {}
    for g in channel_groups(model):
        gone = removed_channels(mask, g)
        if gone is not None and bool(gone.any()):
            out[g.producer] = (~gone).nonzero().squeeze(1)
    return out
