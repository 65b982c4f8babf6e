"""Load an exported model: `load_exported(path, device="cpu") -> nn.Module` (eval mode); a semi_structured
export runs on CUDA only, in half precision: feed it `images.half().cuda()`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from sparselab.core import io as fio
from sparselab.core.errors import UsageError
from sparselab.models import registry


def read_payload(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no exported model at {path}")
    payload = fio.load_torch(path)
    if not isinstance(payload, dict) or "format" not in payload or "state" not in payload:
        raise UsageError(f"{path} is not a sparselab export (run: python main.py export <job dir>)")
    return payload


def skeleton(payload: dict[str, Any]) -> nn.Module:
    """The architecture of the payload (channels already cut), with arbitrary weights."""
    model = registry.build(payload["model_name"], tuple(payload["input_shape"]), int(payload["num_classes"]), seed=0)
    if payload["channels"]:
        from sparselab.analysis.export.modules import shrink

        shrink(model, {name: torch.arange(int(k)) for name, k in payload["channels"].items()})
    return model


def load_exported(path: Path | str, device: str | torch.device = "cpu") -> nn.Module:
    from sparselab.analysis.export.modules import CSRLinear, SemiStructuredConv2d, SemiStructuredLinear, replace_module

    payload = read_payload(path)
    state = dict(payload["state"])
    model = skeleton(payload)
    csr = {}
    for name in payload["csr"]:
        module = model.get_submodule(name)
        crow, col, values = (state.pop(f"{name}.weight.{part}") for part in ("crow", "col", "values"))
        csr[name] = torch.sparse_csr_tensor(crow, col, values, size=(module.out_features, module.in_features),
                                            check_invariants=True)  # a damaged file fails here, not in a kernel
        state[f"{name}.weight"] = torch.zeros(module.out_features, module.in_features)  # placeholder
    model.load_state_dict(state)
    model = model.to(device).eval()
    for name, weight in csr.items():
        bias = model.get_submodule(name).bias
        replace_module(model, name, CSRLinear(weight.to(device), bias))
    if payload["semi_structured"]:
        if torch.device(device).type != "cuda":
            raise UsageError("a semi_structured export runs on a CUDA device only (load_exported(path, 'cuda'))")
        model = model.half()
        for name in payload["semi_structured"]:
            module = model.get_submodule(name)
            replace_module(model, name, SemiStructuredConv2d(module) if isinstance(module, torch.nn.Conv2d)
                           else SemiStructuredLinear(module.weight, module.bias))
    return model
