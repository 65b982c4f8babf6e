"""Runner glue: the training hook of a job whose mask may move, seeds, final masks."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import torch

from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.core.seeds import derive_seed, seed_or_default
from sparselab.core.step import parse_iterations
from sparselab.sparsity.dst.hook import DSTHook
from sparselab.sparsity.dst.plan import DSTPlan
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.masked import MaskHook

if TYPE_CHECKING:  # dst_hparams reads the method registry of this package: no import at run time
    from sparselab.sparsity.dst_hparams import DSTHparams

DEFAULT_MOMENTUM = 0.9  # momentum growth's beta when the optimiser has no momentum


def check_start(dst: DSTHparams, init_density: float | None) -> None:
    """SET/RigL/momentum move weights of a sparse mask: a dense start is a usage error (before any write)."""
    if dst.enabled and not dst.prunes and (init_density is None or init_density >= 1):
        raise UsageError(f"--dst={dst.dst} needs a sparse mask to move: give --init_density in (0, 1) "
                         f"(or use --dst=granet, which prunes during training)")


def dst_seed(dst: DSTHparams, replicate: int, *salt: object) -> int:
    """--dst_seed, else one derived from the replicate; `salt` (e.g. the level) gives each job its own."""
    base = seed_or_default(dst.dst_seed, "dst", replicate)
    return derive_seed("dst", base, *salt) if salt else base


def make_hook(mask: Mask, dst: DSTHparams, *, training_steps: str, iterations_per_epoch: int, seed: int,
              momentum: float = 0.0, directory: Path | str | None = None, dynamic: bool = True,
              default_end: int | None = None, forced: Iterable[tuple[int, float]] = (),
              pattern: tuple[int, int] | None = None) -> MaskHook:
    """A `DSTHook` when DST is on and `dynamic`, else a static `MaskHook`; `directory`: topology.csv's (or None)."""
    if not dst.enabled or not dynamic:
        return MaskHook(mask)
    total = parse_iterations(training_steps, iterations_per_epoch, "--training_steps")
    plan = DSTPlan.from_hparams(dst, total_iterations=total, iterations_per_epoch=iterations_per_epoch, seed=seed,
                                momentum_beta=momentum if momentum > 0 else DEFAULT_MOMENTUM, default_end=default_end,
                                forced=forced)
    if pattern is not None:
        plan = dataclasses.replace(plan, pattern=tuple(pattern))
    return DSTHook(mask, plan, directory)


def job_hook(mask: Mask, dst: DSTHparams, training: Any, env: Any, directory: Path | str, *salt: object,
             dynamic: bool = True, default_end: int | None = None,
             forced: Iterable[tuple[int, float]] = (), pattern: Any = None) -> MaskHook:
    """`make_hook` for a runner's job (TrainingHparams, training Environment); `salt` separates the seeds of one
    run's jobs; `pattern`: PatternHparams (N:M growth at density <= N/M)."""
    return make_hook(mask, dst, training_steps=training.training_steps,
                     iterations_per_epoch=env.data.iterations_per_epoch(), seed=dst_seed(dst, env.replicate, *salt),
                     momentum=training.momentum, directory=directory if env.platform.is_primary else None,
                     dynamic=dynamic, default_end=default_end, forced=forced,
                     pattern=pattern.at(mask.density) if pattern is not None else None)


def is_dynamic(dst: DSTHparams, mask: Mask) -> bool:
    """In the iterative runners DST acts on every level whose mask is sparse; dense levels train normally."""
    return dst.enabled and mask.num_kept < mask.num_total


def save_final_mask(directory: Path | str, mask: Mask, model: torch.nn.Module | None = None) -> None:
    """`mask_final.pt` (and its sparsity report): the mask the job ended with; `mask.pt` stays its start."""
    mask.save(directory, model, (layout.FINAL_MASK, layout.FINAL_SPARSITY_REPORT))


def load_final_mask(directory: Path | str) -> Mask | None:
    path = Path(directory) / layout.FINAL_MASK
    return Mask.read(path) if path.exists() else None
