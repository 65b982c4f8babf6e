"""Glue between the iterative runner and `pruning/`: the masks of level 0 and of level L."""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from sparselab.pruning.mask import Mask
from sparselab.pruning.prune import prune
from sparselab.training.slimming import bn_l1_hooks
from sparselab.training.sparsity import init_mask, score_context

if TYPE_CHECKING:
    from sparselab.lottery.runner import IterativeRunner


def initial_mask(trunk: "IterativeRunner", model: torch.nn.Module) -> Mask:
    """Level 0: dense over the counted tensors, or the mask `train` builds from the same --init_* flags.

    Pruning at initialisation prunes the tensors in --pruning_layers_to_ignore too (the published
    methods prune every layer; `train` has no ignore list); the levels then keep their mask as it is.
    """
    ignore = [] if trunk.init_pruning.enabled else trunk.pruning.layers_to_ignore
    return init_mask(trunk.env, trunk.training, trunk.job_args.replicate, trunk.init_pruning, model, ignore,
                     pattern=trunk.pattern.pattern)


def next_mask(trunk: "IterativeRunner", previous: torch.nn.Module, previous_mask: Mask, level: int) -> Mask:
    """Level L: prune level L-1's final weights."""
    context = score_context(trunk.env, trunk.training, trunk.job_args.replicate, level,
                            trunk.pruning.pruning_seed, "pruning")
    return prune(previous.to(trunk.env.device), previous_mask, trunk.pruning, context, pattern=trunk.pattern.pattern)


def training_hooks(trunk: "IterativeRunner") -> list:
    """Hooks every level's training adds before its mask hook: network slimming's BN L1 term."""
    return bn_l1_hooks(trunk.pruning)
