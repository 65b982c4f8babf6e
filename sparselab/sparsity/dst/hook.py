"""`DSTHook`: a `MaskHook` whose mask moves. At an update (before the step, gradients dense): GraNet prunes
globally to round(d(t) * total); each layer drops k = min(ceil(p(t) * n), z) smallest |w| and grows k of the z
positions inactive BEFORE the update (`redistribute`: over all layers), ties by lowest flat index. Grown weights
start at 0 with zero optimiser state; `state_dict` + randomness f(seed, t, tensor) make a resume exact."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

import torch

from sparselab.core.errors import UsageError
from sparselab.sparsity.dst.growth import GrowthInputs
from sparselab.sparsity.dst.history import TopologyHistory
from sparselab.sparsity.dst.plan import DSTPlan
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.masked import MaskHook
from sparselab.sparsity.select import keep_top_k

Tensors = Mapping[str, torch.Tensor]


def drop_count(active: int, inactive: int, fraction: float) -> int:
    """ceil(fraction * active), at most the number of positions a layer can grow into."""
    return max(0, min(math.ceil(fraction * active), inactive, active))


def drop_smallest(weight: torch.Tensor, active: torch.Tensor, k: int) -> torch.Tensor:
    n = int(torch.count_nonzero(active))
    return keep_top_k(weight.detach().abs(), active, n - k)


def _split(flat: torch.Tensor, like: Tensors) -> dict[str, torch.Tensor]:
    out, offset = {}, 0
    for name, t in like.items():
        out[name] = flat[offset:offset + t.numel()].view(t.shape)
        offset += t.numel()
    return out


def grow_global(scores: Tensors, candidates: Tensors, k: int) -> dict[str, torch.Tensor]:
    flat_scores = torch.cat([scores[n].reshape(-1).float() for n in candidates])
    flat_candidates = torch.cat([c.reshape(-1) for c in candidates.values()])
    return _split(keep_top_k(flat_scores, flat_candidates, k), candidates)


def global_magnitude(weights: Tensors, masks: Tensors, keep: int) -> dict[str, torch.Tensor]:
    """The `keep` active weights of largest |w| over all layers together (GraNet's gradual pruning)."""
    flat_scores = torch.cat([weights[n].detach().reshape(-1).abs().float() for n in masks])
    flat_masks = torch.cat([m.reshape(-1) for m in masks.values()])
    return _split(keep_top_k(flat_scores, flat_masks, keep), masks)


def prune_and_regrow(weights: Tensors, masks: Tensors, candidates: Tensors, scores: Tensors, fraction: float,
                     redistribute: bool = False, pattern: tuple[int, int] | None = None,
                     ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(new masks, grown positions) from the growable `candidates`; `pattern` (N:M): growth only where a group
    has room, so a layer may regrow fewer than it dropped."""
    inactive = {n: int(torch.count_nonzero(c)) for n, c in candidates.items()}
    room = sum(inactive.values())
    counts = {}
    for n, m in masks.items():
        counts[n] = drop_count(int(torch.count_nonzero(m)), room if redistribute else inactive[n], fraction)
        if redistribute:  # the regrowth budget cannot exceed the growable positions of the network
            room -= counts[n]
    survivors = {n: drop_smallest(weights[n], m, counts[n]) if counts[n] else m for n, m in masks.items()}
    grow = dict(counts)
    if pattern is not None:
        from sparselab.sparsity.pattern import growth_candidates

        candidates = {n: growth_candidates(c, survivors[n], scores[n], pattern) for n, c in candidates.items()}
        grow = {n: min(k, int(torch.count_nonzero(candidates[n]))) for n, k in counts.items()}
    if redistribute:
        growable = sum(int(torch.count_nonzero(c)) for c in candidates.values())
        grown = grow_global(scores, candidates, min(sum(counts.values()), growable))
    else:
        grown = {n: keep_top_k(scores[n], candidates[n], grow[n]) if grow[n] else torch.zeros_like(m)
                 for n, m in masks.items()}
    return {n: survivors[n] | grown[n] for n in masks}, grown


class DSTHook(MaskHook):
    """`directory`: where `topology.csv` is written (None: not written, e.g. non-primary ranks)."""

    def __init__(self, mask: Mask, plan: DSTPlan, directory: Path | str | None = None) -> None:
        super().__init__(mask)
        self.plan = plan
        self.directory = Path(directory) if directory is not None else None
        self.history = TopologyHistory()
        self.start_density: float | None = None
        self.momentum: dict[str, torch.Tensor] = {}
        self._names = list(mask.keys())
        self._named: dict[str, torch.Tensor] = {}

    def _bind(self, model: torch.nn.Module) -> None:
        if self._model is model:
            return
        super()._bind(model)
        self._named = self.mask.check_model(model)
        if self._named:
            self.mask = self.mask.to(next(iter(self._named.values())).device)

    @torch.no_grad()
    def on_start(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
        if not self.plan.prunes and self.mask.num_kept == self.mask.num_total:
            raise UsageError(f"--dst={self.plan.method} needs a sparse mask to move, but every weight is kept; "
                             "give --init_density < 1 (or use --dst=granet, which prunes during training)")
        super().on_start(model, optimizer, iteration)
        if self.start_density is None:
            self.start_density = self.mask.density
        self._save_history()

    @torch.no_grad()
    def before_optimizer_step(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
        self._bind(model)
        if self.plan.spec.momentum:
            self._accumulate_momentum(model)
        if self.plan.is_update(iteration):
            self.update(model, optimizer, iteration)
        super().before_optimizer_step(model, optimizer, iteration)

    def metrics(self) -> dict[str, Any]:
        return {"density": self._density, "dst_moved_total": self.history.moved_total}

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["dst"] = {"start_density": self.start_density, "history": self.history.state(),
                        "momentum": {n: m.detach().cpu() for n, m in self.momentum.items()}}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        dst = state.get("dst", {})
        self.start_density = dst.get("start_density")
        self.history = TopologyHistory(dst.get("history", []))
        self.momentum = dict(dst.get("momentum", {}))

    @torch.no_grad()
    def _accumulate_momentum(self, model: torch.nn.Module) -> None:
        params = self._named
        names = [n for n in self._names if params[n].grad is not None]
        for n in names:
            if n not in self.momentum:
                self.momentum[n] = torch.zeros_like(params[n])
            elif self.momentum[n].device != params[n].device:  # restored from a CPU checkpoint
                self.momentum[n] = self.momentum[n].to(params[n].device)
        buffers = [self.momentum[n] for n in names]
        if buffers:
            torch._foreach_mul_(buffers, self.plan.momentum_beta)
            torch._foreach_add_(buffers, [params[n].grad for n in names])

    @torch.no_grad()
    def update(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> dict[str, Any] | None:
        self._bind(model)
        params = self._named
        before = {n: self.mask[n] for n in self._names}
        current = dict(before)
        kept = sum(int(torch.count_nonzero(m)) for m in before.values())
        total = self.mask.num_total
        pruned = 0
        target = self.plan.target_density(iteration, self.start_density if self.start_density is not None
                                          else self.mask.density)
        if target is not None and round(target * total) < kept:
            keep = max(1, round(target * total))
            current = global_magnitude(params, current, keep)
            pruned = kept - keep
        fraction = self.plan.fraction(iteration)
        grown: dict[str, torch.Tensor] = {}
        if fraction > 0:
            scores = self.plan.spec.grow(GrowthInputs(params=params, momentum=self.momentum,
                                                           seed=self.plan.seed, iteration=iteration))
            candidates = {n: ~m for n, m in before.items()}
            current, grown = prune_and_regrow(params, current, candidates, scores, fraction,
                                              redistribute=self.plan.redistribute, pattern=self.plan.pattern)
        if not pruned and not grown:
            return None
        for n, g in grown.items():
            if params[n].grad is not None:
                params[n].grad.masked_fill_(g, 0)
        self.set_mask(Mask(current), model, optimizer)
        moved = sum(int(torch.count_nonzero(g)) for g in grown.values())
        row: dict[str, Any] = {"iteration": iteration, "drop_fraction": fraction, "moved": moved,
                               "pruned": pruned, "kept": self.mask.num_kept, "density": self.mask.density}
        for n, m in self.mask.items():
            row[f"density[{n}]"] = int(torch.count_nonzero(m)) / m.numel()
        self.history.add(row)
        self._save_history()
        return row

    def _save_history(self) -> None:
        if self.directory is not None:
            self.history.save(self.directory, self._names)
