"""Glue between the iterative runner and `pruning/`: masks of level 0 and of level L, summaries."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from foundations.seeds import derive_seed, seed_or_default
from pruning.context import ScoreContext
from pruning.mask import Mask, check_names
from pruning.prune import prune
from pruning.report import density_report

if TYPE_CHECKING:
    from lottery.runner import IterativeRunner


def check_layers(model: torch.nn.Module, names: list[str]) -> None:
    """Unknown names in --pruning_layers_to_ignore are an error before anything runs."""
    check_names(model, names, "--pruning_layers_to_ignore")


def score_context(trunk: "IterativeRunner", level: int, seed: int | None, source: str) -> ScoreContext:
    """Seeded scoring batches from the training data (its own order, not the training run's)."""
    env = trunk.env
    base_seed = seed_or_default(seed, source, trunk.job_args.replicate)
    batch_seed = derive_seed("pruning_batches", base_seed, level)
    training = trunk.training.replace(data_order_seed=batch_seed, augmentation_seed=batch_seed)
    loader = env.data.train_loader(training, trunk.job_args.replicate, env.device)
    return ScoreContext(seed=base_seed, level=level, batches=lambda: loader.epoch(0), device=env.device,
                        input_shape=env.data.input_shape)


def initial_mask(trunk: "IterativeRunner", model: torch.nn.Module) -> Mask:
    """Level 0: dense, or sparse from the start with --init_density."""
    if trunk.init_pruning.enabled:
        from pruning.init import prune_at_init

        context = score_context(trunk, 0, trunk.init_pruning.init_pruning_seed, "init_pruning")
        context = context.replace(grasp_samples_per_class=trunk.init_pruning.grasp_samples_per_class,
                                  synflow_iterations=trunk.init_pruning.synflow_iterations)
        return prune_at_init(model.to(trunk.env.device), trunk.init_pruning, context,
                             ignore=trunk.pruning.layers_to_ignore)
    return Mask.ones_like(model, ignore=trunk.pruning.layers_to_ignore)


def next_mask(trunk: "IterativeRunner", previous: torch.nn.Module, previous_mask: Mask, level: int) -> Mask:
    """Level L: prune level L-1's final weights."""
    context = score_context(trunk, level, trunk.pruning.pruning_seed, "pruning")
    return prune(previous.to(trunk.env.device), previous_mask, trunk.pruning, context)


def summary(model: torch.nn.Module, mask: Mask) -> dict[str, Any]:
    report = density_report(model, mask)
    return {"density": report["density"], "density_all_parameters": report["density_all_parameters"],
            "kept_weights": report["kept"], "prunable_weights": report["total"]}
