"""Pruning = score x allocation. `prune`: one level, removing round(p * R) of the R kept counted weights
(`removal_count`; `--pruning_schedule=absolute`: `absolute_keep`); ignored tensors are neither pruned nor
counted. `prune_to_density`: one call to an absolute density (SynFlow iterates inside, ending on target)."""
from __future__ import annotations

import math
from typing import Callable, Mapping

import torch
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.sparsity.allocate import ALLOCATIONS, AllocationRequest
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.distributions import RuleOptions
from sparselab.sparsity.hparams import PruningHparams
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.mask import Mask, check_names, output_weight_name, prunable_names
from sparselab.sparsity.pattern import Pattern, eligible
from sparselab.sparsity.scores import SCORE_MODULES, SCORES, is_iterative
from sparselab.sparsity.select import keep_top_k


def rule_options(hparams: PruningHparams | InitPruningHparams) -> RuleOptions:
    """The density rules' knobs of a levels (PruningHparams) or pruning-at-init bundle."""
    if isinstance(hparams, PruningHparams):
        return RuleOptions(erk_power=hparams.erk_power, fc_density=hparams.fc_density,
                           balanced_redistribute=bool(hparams.balanced_redistribute))
    ratios: dict = {}
    if hparams.init_pruning_distribution == "str_induced_er" and hparams.str_ratios_from is not None:
        from sparselab.sparsity.str_ import read_str_densities

        layers, overall = read_str_densities(hparams.str_ratios_from)
        ratios = {"layer_ratios": tuple(sorted(layers.items())), "ratio_total": overall}
    return RuleOptions(balanced_redistribute=bool(hparams.init_balanced_redistribute), **ratios)


def check_strategy(score: str, distribution: str) -> None:
    if score not in SCORES:
        raise UsageError(f"unknown pruning score {score!r}; choose from {', '.join(SCORES)}")
    if distribution not in ALLOCATIONS:
        raise UsageError(f"unknown pruning distribution {distribution!r}; choose from {', '.join(ALLOCATIONS)}")


def split_ignored(model: nn.Module, mask: Mask, ignore: list[str], flag: str) -> tuple[Mask, Mask]:
    """(the counted tensors of `mask`, the ignored ones it holds: they keep their mask at every level)."""
    check_names(model, ignore, flag)
    skip = set(ignore)
    frozen = Mask({n: m for n, m in mask.items() if n in skip})
    return Mask({n: m for n, m in mask.items() if n not in skip}), frozen


def removal_count(model: nn.Module, counted: Mask, frozen: Mask, hparams: PruningHparams, level: int) -> int:
    """Weights a level removes: prunable round(p * R); openlth ceil(p * T) + 1 (OpenLTH's sparse_global removes
    every candidate <= the k-th smallest), T the kept weights of ALL prunable tensors, ignored/dense included."""
    remaining = counted.num_kept
    p = hparams.pruning_fraction
    if hparams.pruning_count_rule == "prunable":
        remove = round(p * remaining)
        if remove >= remaining:
            raise UsageError(f"pruning level {level}: removing {remove} of the {remaining} remaining weights would "
                             f"remove every weight of the network; lower --pruning_fraction or the number of levels")
        return remove
    params = dict(model.named_parameters())
    kept = {**frozen.kept_per_tensor(), **counted.kept_per_tensor()}
    total = sum(kept.get(n, params[n].numel()) for n in prunable_names(model))
    k = math.ceil(p * total)
    if k + 1 > remaining - 1:
        raise UsageError(f"pruning level {level}: --pruning_count_rule=openlth removes ceil({p} * {total}) + 1 = "
                         f"{k + 1} of the {remaining} remaining prunable weights (OpenLTH cannot compute this "
                         f"level); use fewer levels")
    return k + 1


def absolute_keep(counted: Mask, hparams: PruningHparams, level: int, start_density: float) -> int:
    """The absolute schedule's count of level `level`: round(d0 (1 - p)^L N), N the counted weights."""
    keep = round(start_density * (1 - hparams.pruning_fraction) ** level * counted.num_total)
    if keep <= 0:
        raise UsageError(f"pruning level {level}: the absolute target {start_density} * "
                         f"{1 - hparams.pruning_fraction:g}^{level} keeps no weight of the {counted.num_total} "
                         f"counted weights; use fewer levels")
    return keep


def prune(model: nn.Module, mask: Mask, hparams: PruningHparams, context: ScoreContext,
          pattern: Pattern | None = None, start_density: float = 1.0) -> Mask:
    """One pruning level (see the module docstring); `pattern` (N:M) once the level's density is <= N/M."""
    counted, frozen = split_ignored(model, mask, hparams.layers_to_ignore, "--pruning_layers_to_ignore")
    if hparams.is_channel_strategy:
        from sparselab.sparsity.channels import prune_channels

        return prune_channels(model, counted, frozen, hparams, context)
    check_strategy(hparams.pruning_strategy, hparams.pruning_distribution)
    context = context.replace(num_batches=hparams.pruning_batches)
    if hparams.pruning_seed is not None:
        context = context.replace(seed=hparams.pruning_seed)
    if hparams.pruning_schedule == "absolute":
        keep = absolute_keep(counted, hparams, context.level, start_density)
        if keep >= counted.num_kept:
            return Mask({n: m.clone() for n, m in mask.items()})  # target not below the kept count: cannot prune
    else:
        keep = counted.num_kept - removal_count(model, counted, frozen, hparams, context.level)
    if pattern is not None and keep > pattern[0] / pattern[1] * counted.num_total:
        pattern = None  # levels above N/M are unstructured
    new = prune_to_count(model, counted, keep, hparams.pruning_strategy, hparams.pruning_distribution, context,
                         options=rule_options(hparams), pattern=pattern)
    return Mask({n: new[n] if n in new else frozen[n] for n in mask.keys() if n in new or n in frozen})


def prune_to_density(model: nn.Module, mask: Mask, density: float, score: str, distribution: str,
                     context: ScoreContext, *, options: RuleOptions | None = None,
                     fixed: Mapping[str, float] | None = None, allow_empty: bool = False,
                     pattern: Pattern | None = None) -> Mask:
    """Prune `mask` to round(density * total) kept. `fixed`: imposed tensor densities; `allow_empty`: `global`
    may empty a tensor."""
    if not 0 < density <= 1:
        raise UsageError(f"pruning density must be in (0, 1], got {density}")
    keep = round(density * mask.num_total)
    if keep > mask.num_kept:
        raise UsageError(f"cannot prune to density {density}: the mask already keeps only "
                         f"{mask.num_kept} of {mask.num_total} weights ({mask.density:.6g})")
    if keep <= 0:
        raise UsageError(f"pruning density {density} keeps no weight of the {mask.num_total} counted weights")
    return prune_to_count(model, mask, keep, score, distribution, context, options=options, fixed=fixed,
                          allow_empty=allow_empty, pattern=pattern)


def prune_to_count(model: nn.Module, mask: Mask, keep: int, score: str, distribution: str,
                   context: ScoreContext, *, options: RuleOptions | None = None,
                   fixed: Mapping[str, float] | None = None, allow_empty: bool = False,
                   pattern: Pattern | None = None) -> Mask:
    """Keep exactly `keep` counted weights (with `pattern`, at most the N:M-eligible ones)."""
    check_strategy(score, distribution)
    options = options or RuleOptions()
    fixed = dict(fixed or {})
    check_names(model, fixed, "fixed-density tensors")
    if not 0 < keep <= mask.num_kept:
        raise UsageError(f"cannot keep {keep} weights of a mask that keeps {mask.num_kept}")
    score_of = scorer(model, score, context)
    rounds = max(1, context.synflow_iterations) if is_iterative(score) else 1
    start, current = mask.num_kept, mask
    for k in range(1, rounds + 1):
        keep_k = keep if k == rounds else max(keep, round(start * (keep / start) ** (k / rounds)))
        current = _allocate(model, current, score_of(current), keep_k, distribution, options, fixed, allow_empty,
                            pattern)
    return current


def scorer(model: nn.Module, score: str, context: ScoreContext) -> Callable[[Mask], dict]:
    """mask -> scores (an iterative score reuses one session over its rounds)."""
    if is_iterative(score):
        return SCORE_MODULES[score].session(model, context)
    return lambda mask: SCORES[score](model, mask, context)


def _allocate(model: nn.Module, mask: Mask, scores: dict, keep: int, distribution: str,
              options: RuleOptions, fixed: dict[str, float], allow_empty: bool, pattern: Pattern | None = None) -> Mask:
    if pattern is not None:  # candidates = the N:M-eligible weights; keep all of them if fewer than asked
        mask = Mask(eligible(scores, mask, pattern))
        keep = min(keep, mask.num_kept)
    new = Mask()
    fixed_kept = 0
    for name, density in fixed.items():
        if name not in mask:
            continue
        candidates = mask[name]
        count = min(int(torch.count_nonzero(candidates)), max(1, round(density * candidates.numel())))
        new[name] = keep_top_k(scores[name].to(candidates.device), candidates, count).cpu()
        fixed_kept += count
    rest = Mask({n: m for n, m in mask.items() if n not in new})
    if len(rest):
        if keep - fixed_kept <= 0:
            raise UsageError(f"the fixed-density tensors ({', '.join(fixed)}) already hold {fixed_kept} of the "
                             f"{keep} weights to keep")
        request = AllocationRequest(scores={n: scores[n] for n in rest.keys()}, mask=rest, keep=keep - fixed_kept,
                                    order=prunable_names(model), output_layer=output_weight_name(model),
                                    options=options, allow_empty=allow_empty)
        for name, m in ALLOCATIONS[distribution](request).items():
            new[name] = m
    return Mask({n: new[n] for n in mask.keys()})
