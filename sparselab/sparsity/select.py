"""Exact top-k with ties by lowest flat index (NaN ranks lowest), and integer count allocation. The k-th
value is found by selection: a fixed random sample brackets it, `kthvalue` runs inside (linear time)."""
from __future__ import annotations

import math
from typing import Callable, Mapping

import torch

_SMALL = 1 << 20           # below this, plain kthvalue is as fast
_SAMPLE = 1 << 16
_SLACK = 6.0               # bracket half-width in sample standard deviations


def kth_smallest(values: torch.Tensor, rank: int) -> torch.Tensor:
    """The `rank`-th smallest entry (1-based) of a 1-D tensor, like `torch.kthvalue`, but linear time."""
    n = values.numel()
    if not 1 <= rank <= n:
        raise ValueError(f"rank {rank} outside 1..{n}")
    if n <= _SMALL:
        return torch.kthvalue(values, rank).values
    generator = torch.Generator(device="cpu").manual_seed(0)
    idx = torch.randint(n, (_SAMPLE,), generator=generator).to(values.device)
    sample = torch.sort(values[idx]).values
    q = rank / n * _SAMPLE
    half = _SLACK * math.sqrt(_SAMPLE * (rank / n) * (1 - rank / n)) + 2
    lo_i, hi_i = int(math.floor(q - half)), int(math.ceil(q + half))
    below = torch.zeros((), dtype=torch.int64, device=values.device)
    inside = values
    if lo_i >= 0:
        lo = sample[lo_i]
        below = torch.count_nonzero(values < lo)
        inside_mask = values >= lo
    else:
        inside_mask = None
    if hi_i < _SAMPLE:
        upper = values <= sample[hi_i]
        inside_mask = upper if inside_mask is None else inside_mask & upper
    if inside_mask is not None:
        inside = values[inside_mask]
    r = rank - int(below)
    if not 1 <= r <= inside.numel():  # the sample missed (probability ~1e-9): fall back to the exact call
        return torch.kthvalue(values, rank).values
    return torch.kthvalue(inside, r).values


def candidate_scores(scores: torch.Tensor, candidates: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """Scores with -inf at non-candidates and at NaNs (so they rank lowest), as one float tensor."""
    dtype = scores.dtype if scores.is_floating_point() else torch.float32
    minus_inf = torch.tensor(-math.inf, dtype=dtype, device=scores.device)
    if out is None:
        out = torch.where(candidates, scores.to(dtype), minus_inf)
    else:
        torch.where(candidates, scores.to(dtype), minus_inf, out=out)
    return out.nan_to_num_(nan=-math.inf, posinf=math.inf, neginf=-math.inf)


def top_k_of_prepared(values: torch.Tensor, k: int, candidates: Callable[[], torch.Tensor]) -> torch.Tensor:
    """The `k` largest of `candidate_scores` values, ties by lowest index; `candidates()` is only called when
    the k-th value is -inf (non-candidates could tie)."""
    threshold = kth_smallest(values, values.numel() - k + 1)
    if math.isinf(float(threshold)) and float(threshold) < 0:
        keep = values > threshold
        ties = (values == threshold) & candidates()
        need = k - int(torch.count_nonzero(keep))
        keep[ties.nonzero().squeeze(1)[:need]] = True
        return keep
    keep = values >= threshold
    excess = int(torch.count_nonzero(keep)) - k
    if excess > 0:  # ties at the threshold: drop the ones with the highest indices
        tied = (values == threshold).nonzero().squeeze(1)
        keep[tied[tied.numel() - excess:]] = False
    return keep


def keep_top_k(scores: torch.Tensor, candidates: torch.Tensor, k: int) -> torch.Tensor:
    """Bool tensor shaped like `scores`: the `k` highest-scoring candidates, ties by lowest flat index."""
    n_c = int(torch.count_nonzero(candidates))
    if not 0 <= k <= n_c:
        raise ValueError(f"cannot keep {k} of {n_c} candidates")
    if k == n_c:
        return candidates.clone()
    if k == 0:
        return torch.zeros_like(candidates)
    values = candidate_scores(scores.reshape(-1), candidates.reshape(-1))
    return top_k_of_prepared(values, k, lambda: candidates.reshape(-1)).view(candidates.shape)


def largest_remainder(targets: Mapping[str, float], caps: Mapping[str, int], total: int,
                      floors: Mapping[str, int] | None = None) -> dict[str, int]:
    """Integer counts near `targets` summing EXACTLY to `total`, floors <= count <= caps: clamped excess goes
    to the others in proportion (water-filling), then largest remainder (ties in mapping order)."""
    names = list(targets)
    floors = {n: int((floors or {}).get(n, 0)) for n in names}
    if sum(floors.values()) > total or sum(caps[n] for n in names) < total:
        raise ValueError(f"cannot place {total} weights within floors {sum(floors.values())} "
                         f"and caps {sum(caps[n] for n in names)}")
    want = {n: min(max(float(targets[n]), floors[n]), caps[n]) for n in names}
    # Water-fill: rescale the unclamped targets until the real-valued sum equals `total`.
    for _ in range(len(names) + 1):
        fixed = {n for n in names if want[n] >= caps[n] or want[n] <= floors[n]}
        free = [n for n in names if n not in fixed]
        fixed_sum = sum(want[n] for n in fixed)
        free_sum = sum(want[n] for n in free)
        gap = total - fixed_sum - free_sum
        if abs(gap) < 1e-9 * max(1, total) or not free:
            break
        if free_sum <= 0:
            share = (total - fixed_sum) / len(free)
            new = {n: share for n in free}
        else:
            scale = (total - fixed_sum) / free_sum
            new = {n: want[n] * scale for n in free}
        changed = False
        for n in free:
            clamped = min(max(new[n], floors[n]), caps[n])
            changed |= clamped != new[n]
            want[n] = clamped
        if not changed:
            break
    counts = {n: min(max(int(math.floor(want[n])), floors[n]), caps[n]) for n in names}
    deficit = total - sum(counts.values())
    order = sorted(names, key=lambda n: -(want[n] - math.floor(want[n])))
    while deficit != 0:
        progressed = False
        for n in (order if deficit > 0 else reversed(order)):
            if deficit > 0 and counts[n] < caps[n]:
                counts[n] += 1
                deficit -= 1
                progressed = True
            elif deficit < 0 and counts[n] > floors[n]:
                counts[n] -= 1
                deficit += 1
                progressed = True
            if deficit == 0:
                break
        if not progressed:
            raise ValueError("largest_remainder could not reach the total")
    return counts
