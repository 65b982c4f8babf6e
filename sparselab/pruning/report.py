"""Sparsity reports: per masked tensor, over the masked (counted) weights, and over all parameters."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from sparselab.pruning.mask import Mask


def mask_report(mask: "Mask") -> dict[str, Any]:
    """Kept/total/density of every masked tensor and of all of them together."""
    tensors = {}
    for name, m in mask.items():
        kept, total = int(torch.count_nonzero(m)), m.numel()
        tensors[name] = {"kept": kept, "total": total, "density": kept / total if total else 1.0}
    kept = sum(t["kept"] for t in tensors.values())
    total = sum(t["total"] for t in tensors.values())
    return {"tensors": tensors, "kept": kept, "total": total, "density": kept / total if total else 1.0}


def density_report(model: torch.nn.Module, mask: "Mask") -> dict[str, Any]:
    """`mask_report` plus the density over ALL model parameters (unmasked ones count as kept).

    Parameters that are not in the mask (biases, BatchNorm, ignored tensors) are dense by definition;
    the pruned weights are exactly the zeros of the mask.
    """
    report = mask_report(mask)
    parameters_total = sum(p.numel() for p in model.parameters())
    pruned = report["total"] - report["kept"]
    report["parameters_total"] = parameters_total
    report["parameters_kept"] = parameters_total - pruned
    report["density_all_parameters"] = (parameters_total - pruned) / parameters_total if parameters_total else 1.0
    return report
