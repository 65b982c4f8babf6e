"""Glue between the iterative runner and `pruning/`: the masks of level 0 and of level L, and a level's job."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch

from sparselab.lottery import starts
from sparselab.lottery.progress import level_prefix, rest_of_run
from sparselab.pruning import dst as dynamic
from sparselab.pruning.dst_hparams import DSTHparams
from sparselab.pruning.mask import Mask
from sparselab.pruning.prune import prune
from sparselab.training.slimming import bn_l1_hooks
from sparselab.training.sparse_job import SparseJob, flag_mask, mask_flags
from sparselab.training.sparsity import score_context

if TYPE_CHECKING:
    from sparselab.lottery.runner import IterativeRunner


def initial_mask(trunk: "IterativeRunner", model: torch.nn.Module) -> Mask:
    """Level 0: dense over the counted tensors, or the mask `train` builds from the same --init_* flags
    (`sparse_job.flag_mask`, the one function that makes start masks).

    Pruning at initialisation prunes the tensors in --pruning_layers_to_ignore too (the published
    methods prune every layer; `train` has no ignore list); the levels then keep their mask as it is.
    """
    return flag_mask(trunk.env, mask_flags(trunk, dense_ignore=trunk.pruning.layers_to_ignore), model)


def next_mask(trunk: "IterativeRunner", previous: torch.nn.Module, previous_mask: Mask, level: int) -> Mask:
    """Level L: prune level L-1's final weights (the absolute schedule counts from the nominal start density)."""
    context = score_context(trunk.env, trunk.training, trunk.job_args.replicate, level,
                            trunk.pruning.pruning_seed, "pruning")
    return prune(previous.to(trunk.env.device), previous_mask, trunk.pruning, context, pattern=trunk.pattern.pattern,
                 start_density=nominal_start_density(trunk))


def nominal_start_density(trunk: "IterativeRunner") -> float:
    """Level 0's nominal density: --init_density when pruning at initialisation, else 1 (dense)."""
    init = trunk.init_pruning
    return float(init.init_density) if init.enabled and init.init_density is not None else 1.0


def training_hooks(trunk: "IterativeRunner") -> list:
    """Hooks every level's training adds before its mask hook: network slimming's BN L1 term."""
    return bn_l1_hooks(trunk.pruning)


def level_job(trunk: "IterativeRunner", level: int, directory: Path) -> SparseJob:
    """Level `level` as a sparse job: level 0 starts from the initialisation (or step k) pruned at
    initialisation like `train`, level L from where the policy says; DST moves every sparse level's mask."""
    mask = trunk.level_mask(level)
    hparams, start = starts.schedule(trunk, level)
    init = trunk.init_pruning if level == 0 and trunk.init_pruning.enabled else None
    state = starts.raw_initial(trunk) if level == 0 else starts.retrain_start(trunk, level)
    dst = trunk.dst or DSTHparams()
    return SparseJob(directory, trunk.env, trunk.template(), state, hparams, mask=mask, init=init,
                     start_iteration=start, dst=dst, dynamic=dynamic.is_dynamic(dst, mask), pattern=trunk.pattern,
                     salt=(level,), hooks=training_hooks(trunk), log_prefix=level_prefix(level, trunk.levels_args.levels),
                     rest_of_run=rest_of_run(level, trunk._to_run or []), summary_head={"level": level},
                     dst_metrics=("dst_moved_total",), on_trained=lambda model, final: keep_final(trunk, level, model, final))


def keep_final(trunk: "IterativeRunner", level: int, model: torch.nn.Module, final: Mask) -> None:
    """Keep the trained level's weights and mask for pruning the next level in this process: the same
    tensors as its weights_final.pt and final mask, without reading them back (`previous_final`)."""
    trunk.start_cache[("final", level)] = ({k: v.detach() for k, v in model.state_dict().items()}, final)


def previous_final(trunk: "IterativeRunner", level: int) -> tuple[dict, Mask]:
    """Level `level - 1`'s final weights and mask: kept from its training in this process, else read
    (verified) from its finished files."""
    kept = trunk.start_cache.pop(("final", level - 1), None)
    if kept is not None:
        trunk.store.used_final(level - 1)
        return kept
    return trunk.store.final_weights(level - 1), trunk.store.mask(level - 1)  # type: ignore[return-value]
