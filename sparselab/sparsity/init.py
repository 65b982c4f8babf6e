"""Pruning at initialisation (`prune_at_init`): score x distribution to `--init_density`, with dense layers,
a fixed output density, `--pruning_ratio_from`, flow repair and `init_weights` (looks-linear, rescale,
ortho repair). A global criterion may empty a tensor here: layer collapse is what these criteria study."""
from __future__ import annotations

import math
from typing import Iterable

import torch
from torch import nn

from sparselab.sparsity.allocate import AllocationRequest, select_counts
from sparselab.sparsity.connectivity import check_connectivity, repair_flow
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.mask import Mask, check_names, output_weight_name, prunable_names
from sparselab.sparsity.pattern import Pattern, check_density
from sparselab.sparsity.ortho import looks_linear_, ortho_repair
from sparselab.sparsity.prune import check_strategy, prune_to_density, rule_options, scorer

__all__ = ["prune_at_init", "check_connectivity", "repair_flow", "ratio_only", "rescale_kept", "init_weights"]


def init_context(hparams: InitPruningHparams, context: ScoreContext) -> ScoreContext:
    changes = {"grasp_samples_per_class": hparams.grasp_samples_per_class,
               "synflow_iterations": hparams.synflow_iterations}
    if hparams.init_pruning_seed is not None:
        changes["seed"] = hparams.init_pruning_seed
    return context.replace(**changes)


def ratio_only(model: nn.Module, mask: Mask, criterion: Mask, placement: str, context: ScoreContext) -> Mask:
    """The per-tensor counts of `criterion`, placed inside each tensor by the `placement` score."""
    request = AllocationRequest(scores=scorer(model, placement, context)(mask), mask=mask, keep=criterion.num_kept)
    return select_counts(request, criterion.kept_per_tensor())


@torch.no_grad()
def rescale_kept(model: nn.Module, mask: Mask, how: str) -> None:
    if how == "none":
        return
    params = mask.check_model(model)
    for name, m in mask.items():
        density = mask.density if how == "global_density" else int(m.sum()) / m.numel()
        if density > 0:
            params[name].mul_(1.0 / math.sqrt(density))


def init_weights(model: nn.Module, mask: Mask, hparams: InitPruningHparams, repair: bool = True) -> None:
    """Start weights under the mask, in place: looks-linear, --init_scale, ortho repair (unless `repair=False`)."""
    if hparams.looks_linear:
        looks_linear_(model, mask)
    rescale_kept(model, mask, hparams.init_scale)
    if hparams.ortho_repair and repair:
        ortho_repair(model, mask, hparams.ortho_repair_steps, hparams.ortho_repair_lr)


def prune_at_init(model: nn.Module, hparams: InitPruningHparams, context: ScoreContext,
                  ignore: Iterable[str] = (), pattern: Pattern | None = None) -> Mask:
    """The initial mask (all ones without `--init_density`); weights changed in place (looks-linear, scaled,
    pruned zeroed). `pattern` (N:M) is refused with --pruning_ratio_from and --repair_flow; `ignore`: also dense."""
    dense = check_names(model, hparams.dense_layer_names, "--dense_layers")
    dense += [n for n in check_names(model, ignore, "layers to ignore") if n not in dense]
    if hparams.init_density is None:
        return Mask.ones_like(model, ignore=dense)
    if not hparams.prune_shortcuts:
        dense += [n for n in shortcut_names(model) if n not in dense]
    mask = Mask.ones_like(model, ignore=dense)
    check_strategy(hparams.init_pruning_strategy, hparams.init_pruning_distribution)
    check_init_pattern(hparams, pattern)
    context = init_context(hparams, context)
    output = output_weight_name(model)
    fixed = {output: hparams.init_fc_density} if hparams.init_fc_density is not None and output in mask else {}
    if hparams.pruning_ratio_from is not None:
        criterion = prune_to_density(model, mask, hparams.init_density, hparams.pruning_ratio_from, "global",
                                     context, fixed=fixed, allow_empty=True)
        new = ratio_only(model, mask, criterion, hparams.init_pruning_strategy, context)
    else:
        new = prune_to_density(model, mask, hparams.init_density, hparams.init_pruning_strategy,
                               hparams.init_pruning_distribution, context, options=rule_options(hparams), fixed=fixed,
                               allow_empty=True, pattern=pattern)
    if hparams.repair_flow:
        new = repair_flow(model, new)
    init_weights(model, new, hparams, repair=False)
    new.apply_(model)
    return new


def shortcut_names(model: nn.Module) -> list[str]:
    """The 1x1 convolution weights of residual shortcuts (modules named shortcut/downsample)."""
    prunable = set(prunable_names(model))
    out = []
    for name, p in model.named_parameters():
        parts = name.split(".")
        if name in prunable and p.dim() == 4 and tuple(p.shape[-2:]) == (1, 1) and \
                any(part in ("shortcut", "downsample") for part in parts[:-1]):
            out.append(name)
    return out


def check_init_pattern(hparams: InitPruningHparams, pattern: Pattern | None) -> None:
    """UsageError (one line) for an N:M pattern that pruning at initialisation cannot keep."""
    if pattern is None:
        return
    check_density(pattern, hparams.init_density, "--init_density")
    from sparselab.core.errors import UsageError

    for flag, value in (("--pruning_ratio_from", hparams.pruning_ratio_from), ("--repair_flow", hparams.repair_flow)):
        if value:
            raise UsageError(f"--sparsity_pattern cannot be combined with {flag} (it places weights outside the pattern)")
