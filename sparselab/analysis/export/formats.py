"""Exported model payloads: dense (exact zeros), csr (linear layers), semi_structured (2:4 linear layers and
convolutions, CUDA), channels (pruned channels removed); plain values, loadable with `weights_only=True`."""
from __future__ import annotations

import copy
import warnings
from typing import Any

import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.pattern import satisfies_pattern

FORMATS = ("dense", "csr", "semi_structured", "channels")
PAYLOAD_VERSION = 1


def masked_linears(model: nn.Module, mask: Mask | None) -> list[str]:
    """Module names of the Linear layers whose weight the mask prunes."""
    return [n for n, m in model.named_modules()
            if isinstance(m, nn.Linear) and mask is not None and f"{n}.weight" in mask
            and not bool(mask[f"{n}.weight"].all())]


def masked_convs(model: nn.Module, mask: Mask | None) -> list[str]:
    """Module names of the plain convolutions (groups 1, zero padding) whose weight the mask prunes."""
    return [n for n, m in model.named_modules()
            if isinstance(m, nn.Conv2d) and m.groups == 1 and m.padding_mode == "zeros" and mask is not None
            and f"{n}.weight" in mask and not bool(mask[f"{n}.weight"].all())]


def semi_structured_ok(weight: torch.Tensor) -> bool:
    """2:4 along the input dimension (a conv: input channels at each (kh, kw), in a multiple of 4) and the
    shapes cuSPARSELt/CUTLASS accept for the GEMM matrix (rows % 32, cols % 64)."""
    rows, cols = weight.shape[0], weight[0].numel()
    if weight.dim() == 4 and weight.shape[1] % 4:
        return False
    return rows % 32 == 0 and cols % 64 == 0 and satisfies_pattern(weight, 2, 4)


def build_payload(model: nn.Module, mask: Mask | None, fmt: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The payload of `model` (its final weights) under `mask` in format `fmt`; UsageError when the
    format does not apply (one line)."""
    model = copy.deepcopy(model).eval()
    if mask is not None:
        mask.apply_(model)
    payload: dict[str, Any] = {"version": PAYLOAD_VERSION, "format": fmt, **meta, "channels": {}, "csr": [],
                               "semi_structured": []}
    if fmt == "channels":
        from sparselab.analysis.export.modules import kept_channels, shrink

        keep = kept_channels(model, mask) if mask is not None else {}
        if not keep:
            raise UsageError("--format=channels: this job's mask removes no whole channel; train with a channel "
                             "pruning strategy (--pruning_strategy=filter_l1, filter_l2 or network_slimming)")
        shrink(model, keep)
        payload["channels"] = {name: idx.numel() for name, idx in keep.items()}
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if fmt == "csr":
        names = masked_linears(model, mask)
        if not names:
            raise UsageError("--format=csr: the job prunes no linear layer (CSR export is for linear layers)")
        for n in names:
            with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta state"
                warnings.simplefilter("ignore", UserWarning)
                csr = state.pop(f"{n}.weight").to_sparse_csr()
            state[f"{n}.weight.crow"], state[f"{n}.weight.col"] = csr.crow_indices(), csr.col_indices()
            state[f"{n}.weight.values"] = csr.values()
        payload["csr"] = names
    if fmt == "semi_structured":
        if not torch.cuda.is_available():
            raise UsageError("--format=semi_structured needs a CUDA device (torch.sparse.to_sparse_semi_structured "
                             "is CUDA only); none is available here")
        names = [n for n in masked_linears(model, mask) + masked_convs(model, mask)
                 if semi_structured_ok(state[f"{n}.weight"])]
        if not names:
            raise UsageError("--format=semi_structured: no pruned linear layer or convolution is 2:4 with rows % 32 "
                             "== 0 and columns % 64 == 0 (train with --sparsity_pattern=2:4)")
        payload["semi_structured"] = names
    payload["state"] = state
    return payload
