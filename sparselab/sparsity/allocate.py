"""Allocations (scores, current mask, count to keep -> new mask): `global` (one threshold; emptying a tensor
only if allowed, e.g. SynFlow at init), `layerwise` (same fraction per tensor) or a density rule. Per-tensor
counts sum exactly to `keep`, stay within each tensor's kept weights and keep >= 1 per tensor."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping

import torch

from sparselab.core.errors import UsageError
from sparselab.core.registry import Derived
from sparselab.sparsity.distributions import DENSITY_RULES, DensityRule, RuleOptions, str_induced_er
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.select import candidate_scores, keep_top_k, largest_remainder, top_k_of_prepared


@dataclass
class AllocationRequest:
    scores: dict[str, torch.Tensor]
    mask: Mask                 # current mask: its kept weights are the candidates
    keep: int                  # weights the new mask keeps in total
    order: list[str] = field(default_factory=list)   # the model's prunable tensors in module order
    output_layer: str | None = None
    options: RuleOptions = field(default_factory=RuleOptions)
    allow_empty: bool = False  # may `global` remove every weight of a tensor? (else UsageError naming it)


Allocator = Callable[[AllocationRequest], Mask]


def _device(request: AllocationRequest) -> torch.device:
    first = next(iter(request.scores.values()), None)
    return first.device if first is not None else torch.device("cpu")


def select_counts(request: AllocationRequest, counts: dict[str, int]) -> Mask:
    device = _device(request)
    return Mask({name: keep_top_k(request.scores[name].to(device), m.to(device), counts[name]).cpu()
                 for name, m in request.mask.items()})


def _counts(targets: dict[str, float], request: AllocationRequest, what: str) -> dict[str, int]:
    caps = request.mask.kept_per_tensor()
    floors = {n: min(1, c) for n, c in caps.items()}
    if request.keep < sum(floors.values()):
        raise UsageError(f"{what}: keeping {request.keep} weights cannot leave one weight in each of the "
                         f"{sum(floors.values())} pruned tensors; use fewer levels or a smaller fraction")
    try:
        return largest_remainder(targets, caps, request.keep, floors)
    except ValueError as e:
        raise UsageError(f"{what}: {e}") from None


def global_allocation(request: AllocationRequest) -> Mask:
    names = list(request.mask.keys())
    device = _device(request)
    dtype = functools.reduce(torch.promote_types, (request.scores[n].dtype for n in names))
    dtype = dtype if dtype.is_floating_point else torch.float32
    sizes = [request.mask[n].numel() for n in names]
    flat = torch.empty(sum(sizes), dtype=dtype, device=device)
    for n, part in zip(names, flat.split(sizes)):
        candidate_scores(request.scores[n].reshape(-1).to(device), request.mask[n].reshape(-1).to(device), out=part)
    kept_now = request.mask.num_kept
    if not 0 <= request.keep <= kept_now:
        raise UsageError(f"global pruning cannot keep {request.keep} of {kept_now} weights")
    if request.keep == kept_now:
        return request.mask.clone()
    keep = top_k_of_prepared(flat, request.keep,
                             lambda: torch.cat([request.mask[n].reshape(-1).to(device) for n in names])).cpu()
    out = Mask()
    emptied = []
    for n, part in zip(names, keep.split(sizes)):
        out[n] = part.view(request.mask[n].shape).clone()
        if not bool(part.any()):
            emptied.append(n)
    if emptied and not request.allow_empty:
        raise UsageError(f"global pruning to {request.keep} weights would remove every remaining weight of "
                         f"{', '.join(emptied)}; use fewer levels, a smaller --pruning_fraction or a "
                         f"per-tensor distribution")
    return out


def layerwise_allocation(request: AllocationRequest) -> Mask:
    kept = request.mask.kept_per_tensor()
    remaining = sum(kept.values())
    fraction = request.keep / remaining if remaining else 0.0
    targets = {n: c * fraction for n, c in kept.items()}
    return select_counts(request, _counts(targets, request, "layerwise pruning"))


def density_allocation(name: str, rule: DensityRule) -> Allocator:
    def allocate(request: AllocationRequest) -> Mask:
        shapes = {n: tuple(m.shape) for n, m in request.mask.items()}
        total = sum(m.numel() for m in request.mask.values())
        densities = rule(shapes, request.keep / total, order=request.order,
                         output_layer=request.output_layer, options=request.options)
        targets = {n: densities[n] * request.mask[n].numel() for n in shapes}
        planned = sum(targets.values())
        if round(planned) < request.keep or planned > request.keep + 1:  # a published density off the target
            caps = request.mask.kept_per_tensor()  # (balanced without redistribution, uniform_plus)
            realised = round(sum(min(t, caps[n]) for n, t in targets.items()))
            request = replace(request, keep=max(realised, sum(min(1, c) for c in caps.values())))
        return select_counts(request, _counts(targets, request, f"distribution {name!r}"))

    return allocate


ALLOCATIONS: Mapping[str, Allocator] = Derived(  # live view of the rules
    DENSITY_RULES, density_allocation,
    fixed={"global": global_allocation, "layerwise": layerwise_allocation,
           "str_induced_er": density_allocation("str_induced_er", str_induced_er.rule)})  # an STR run's ratios
