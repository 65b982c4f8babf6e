"""The plain network of a finished `supermask` or `str` job: effective weights of its wrapped
`weights_final.pt` and the mask of their non-zero positions (supermask: the selection)."""
from __future__ import annotations

from typing import Mapping

import torch

from sparselab.core.errors import UsageError
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.reparam import key
from sparselab.sparsity.str_ import soft_threshold

NET = "net."


def is_wrapped(state: Mapping[str, torch.Tensor]) -> bool:
    return bool(state) and all(k.startswith((NET, "scores.", "thresholds.")) for k in state)


def plain_weights(state: Mapping[str, torch.Tensor], er_mask: Mask,
                  selection: Mask | None) -> tuple[dict[str, torch.Tensor], Mask]:
    """(plain state dict of effective weights, their mask); `selection`: supermask.pt (None for STR)."""
    plain = {k[len(NET):]: v.clone() for k, v in state.items() if k.startswith(NET)}
    masks = {}
    for name, er in er_mask.items():
        if name not in plain:
            raise UsageError(f"the wrapped weights have no {name} (the ER mask names it)")
        w = plain[name]
        if selection is not None:
            chosen = selection[name].to(torch.bool) & er.to(torch.bool)
            effective = w * chosen.to(w.dtype)
        else:
            s = state.get(f"thresholds.{key(name)}")
            if s is None:
                raise UsageError(f"an STR job's weights hold no threshold for {name}")
            effective = er.to(w.dtype) * soft_threshold(w, s)
        plain[name] = effective
        masks[name] = (effective != 0) if selection is None else chosen
    return plain, Mask(masks)
