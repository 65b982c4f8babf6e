"""Sparse training glue shared by the runners: seeded scoring contexts, summaries, the scaled start."""
from __future__ import annotations

from typing import Any

import torch

from sparselab.core.seeds import derive_seed, seed_or_default
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.init import init_weights
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.report import density_report
from sparselab.train.hparams import TrainingHparams
from sparselab.train.standard import Environment


def score_context(env: Environment, training: TrainingHparams, level: int, seed: int | None,
                  source: str) -> ScoreContext:
    """Scoring batches in their own seeded order (not the training run's)."""
    replicate = env.replicate
    base_seed = seed_or_default(seed, source, replicate)
    batch_seed = derive_seed("pruning_batches", base_seed, level)
    training = training.replace(data_order_seed=batch_seed, augmentation_seed=batch_seed)
    loaders: list = []

    def batches():  # the loader is built on first use: data-free scores (random, magnitude) never build it
        if not loaders:
            loaders.append(env.data.train_loader(training, replicate, env.device))
        return loaders[0].epoch(0)

    return ScoreContext(seed=base_seed, level=level, batches=batches, device=env.device,
                        input_shape=env.data.input_shape)


def summary(model: torch.nn.Module, mask: Mask) -> dict[str, Any]:
    """Densities, plus what marks a collapsed network: empty masked tensors, no input-output path."""
    report = density_report(model, mask)
    return {"density": report["density"], "density_model": report["density_model"],
            "density_all_parameters": report["density_all_parameters"],
            "kept_weights": report["kept"], "prunable_weights": report["total"],
            "empty_prunable_tensors": [name for name, t in report["tensors"].items() if t["kept"] == 0],
            **_connectivity(model, mask)}


def _connectivity(model: torch.nn.Module, mask: Mask) -> dict[str, Any]:
    """A path of kept weights from input to output, and its weights (None where the check cannot run)."""
    from sparselab.core.errors import UsageError
    from sparselab.sparsity.connectivity import check_connectivity

    try:
        result = check_connectivity(model, mask)
    except (UsageError, RuntimeError, TypeError, ValueError):
        return {"connected": None, "weights_on_path": None}
    return {"connected": result["connected"], "weights_on_path": result["kept_on_path"]}


def scaled_start(state: dict, model: torch.nn.Module, mask: Mask, init: InitPruningHparams) -> torch.nn.Module:
    model.load_state_dict(state)
    init_weights(model, mask, init)
    mask.apply_(model)
    return model
