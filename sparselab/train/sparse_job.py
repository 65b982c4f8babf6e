"""One sparse job (start weights + mask + training + optional DST): every masked training runs `run_sparse_job`,
and every start mask from the --init_* flags comes from `flag_mask`, so no command can build a different one.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from sparselab.sparsity import dst as dynamic
from sparselab.sparsity.dst_hparams import DSTHparams
from sparselab.sparsity.init import prune_at_init
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.masked import MaskHook
from sparselab.sparsity.pattern_hparams import PatternHparams
from sparselab.train import sparsity
from sparselab.train import loop
from sparselab.train.hparams import TrainingHparams
from sparselab.train.standard import Environment, finish_training, train_setup


def flag_mask(env: Environment, command: Any, model: torch.nn.Module, dense_ignore: Sequence[str] = ()) -> Mask:
    """The start mask of `command.training` (scoring batches), `.init_pruning` and `.pattern` if any: all ones
    but `dense_ignore`, or pruned at init. `model` is scored on the device and rescaled in place: pass a copy."""
    init: InitPruningHparams = command.init_pruning
    if not init.enabled:
        return Mask.ones_like(model, ignore=list(dense_ignore))
    pattern = getattr(command, "pattern", None)
    context = sparsity.score_context(env, command.training, 0, init.init_pruning_seed, "init_pruning")
    mask = prune_at_init(model.to(env.device), init, context, ignore=[],
                         pattern=pattern.pattern if pattern is not None else None)
    if env.verbose and env.platform.is_primary:
        print(f"initial mask: {init.init_pruning_strategy} x {init.init_pruning_distribution} keeps {mask.num_kept} "
              f"of {mask.num_total} counted weights: density {mask.density:.4f} (--init_density={init.init_density})",
              flush=True)  # the density realised (a rule may realise less than asked)
    return mask


def saved_flag_mask(directory: Path, env: Environment, command: Any, template: torch.nn.Module) -> Mask:
    """`directory`'s mask.pt if a run wrote it already, else `flag_mask` of a copy of `template`, saved."""
    if Mask.exists(directory):
        return Mask.load(directory)
    mask = flag_mask(env, command, copy.deepcopy(template))
    if env.platform.is_primary:
        mask.save(directory, model=template)
    return mask


@dataclass
class SparseJob:
    """What one job trains: a copy of `template` loaded with `start` (`mask` None: dense). `init`: kept weights
    shaped as --init_scale asks; `apply_mask` False: `start` is already under this mask. DST moves the mask
    when `dst` is on and `dynamic`; `salt` separates the DST seeds of one run's jobs; `dst_metrics` picks the
    hook metrics of the summary (None: all). `on_trained(model, mask)` saves a runner reading its files back."""

    directory: Path
    env: Environment
    template: torch.nn.Module
    start: dict
    training: TrainingHparams
    mask: Mask | None = None
    init: InitPruningHparams | None = None
    apply_mask: bool = True
    start_iteration: int = 0
    end_iteration: int | None = None
    dst: DSTHparams | None = None
    dynamic: bool = True
    regain_at_iteration: int | None = None  # re-dense training: the mask becomes all ones here (static masks)
    pattern: PatternHparams | None = None
    salt: tuple = ()
    default_end: int | None = None
    forced: tuple[tuple[int, float], ...] = ()
    hooks: Sequence[Any] = ()
    log_prefix: str = ""
    rest_of_run: Callable[[float], float] | None = None
    summary_head: dict[str, Any] = field(default_factory=dict)
    dst_metrics: tuple[str, ...] | None = None
    on_trained: Callable[[torch.nn.Module, Mask], None] | None = None


def start_model(job: SparseJob) -> torch.nn.Module:
    model = copy.deepcopy(job.template)
    if job.mask is not None and job.init is not None:
        return sparsity.scaled_start(job.start, model, job.mask, job.init)
    model.load_state_dict(job.start)
    if job.mask is not None and job.apply_mask:
        job.mask.apply_(model)
    return model


def run_sparse_job(job: SparseJob) -> dict[str, Any]:
    model = start_model(job)
    common = dict(start_iteration=job.start_iteration, end_iteration=job.end_iteration, log_prefix=job.log_prefix,
                  rest_of_run=job.rest_of_run)
    if job.mask is None:
        setup = train_setup(job.directory, model, job.env, job.training, hooks=list(job.hooks), **common)
        return finish_training(setup, loop.train(setup))
    dst = job.dst or DSTHparams()
    moving = dst.enabled and job.dynamic
    if job.regain_at_iteration is not None:
        if moving:
            raise ValueError("re-dense training of a dynamic sparse job")  # refused at the flags, never reached
        hook: MaskHook = MaskHook(job.mask, regain_at_iteration=job.regain_at_iteration)
    else:
        hook = dynamic.job_hook(job.mask, dst, job.training, job.env, job.directory, *job.salt, dynamic=moving,
                                default_end=job.default_end, forced=job.forced, pattern=job.pattern)

    def summary(m: torch.nn.Module) -> dict[str, Any]:
        out = {**job.summary_head, **sparsity.summary(m, hook.mask)}
        if moving:
            metrics = hook.metrics()
            out.update(metrics if job.dst_metrics is None else {k: metrics[k] for k in job.dst_metrics})
        return out

    setup = train_setup(job.directory, model, job.env, job.training, hooks=[*job.hooks, hook], **common)
    result = finish_training(setup, loop.train(setup), summary)  # the loop called here: no frame between
    if moving and job.env.platform.is_primary:
        dynamic.save_final_mask(job.directory, hook.mask, model)
    if job.on_trained is not None:
        job.on_trained(model, hook.mask)
    return result
