"""Sparsity reports over the masked tensors, every prunable tensor (OpenLTH's) and all parameters."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from sparselab.sparsity.mask import Mask


def mask_report(mask: "Mask") -> dict[str, Any]:
    tensors = {}
    for name, m in mask.items():
        kept, total = int(torch.count_nonzero(m)), m.numel()
        tensors[name] = {"kept": kept, "total": total, "density": kept / total if total else 1.0}
    kept = sum(t["kept"] for t in tensors.values())
    total = sum(t["total"] for t in tensors.values())
    return {"tensors": tensors, "kept": kept, "total": total, "density": kept / total if total else 1.0}


def density_report(model: torch.nn.Module, mask: "Mask") -> dict[str, Any]:
    """`mask_report` plus densities over every prunable tensor (`density_model`, ignored ones as kept, as OpenLTH's
    `sparsity_report.json`) and over ALL parameters (unmasked ones are kept)."""
    report = mask_report(mask)
    report.update(_model_weights(model, mask, report["tensors"]))
    parameters_total = sum(p.numel() for p in model.parameters())
    pruned = report["total"] - report["kept"]
    report["parameters_total"] = parameters_total
    report["parameters_kept"] = parameters_total - pruned
    report["density_all_parameters"] = (parameters_total - pruned) / parameters_total if parameters_total else 1.0
    return report


def _model_weights(model: torch.nn.Module, mask: "Mask", tensors: dict[str, Any]) -> dict[str, Any]:
    names = list(getattr(model, "prunable_layer_names", None) or mask.keys())
    total = sum(model.get_parameter(name).numel() for name in names)
    pruned = sum(tensors[name]["total"] - tensors[name]["kept"] for name in names if name in tensors)
    return {"model_weights_total": total, "model_weights_kept": total - pruned,
            "density_model": (total - pruned) / total if total else 1.0}
