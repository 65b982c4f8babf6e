"""Runner glue: the training hook of a job whose mask may move, seeds, final masks."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import torch

from sparselab.core import layout
from sparselab.core import io as fio
from sparselab.core.errors import UsageError
from sparselab.core.seeds import derive_seed, seed_or_default
from sparselab.core.step import parse_iterations
from sparselab.sparsity.dst.hook import DSTHook
from sparselab.sparsity.dst.plan import DSTPlan
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.masked import MaskHook
from sparselab.sparsity.report import density_report, mask_report

if TYPE_CHECKING:  # dst_hparams reads the method registry of this package: no import at run time
    from sparselab.sparsity.dst_hparams import DSTHparams

FINAL_MASK_FILE = layout.FINAL_MASK
FINAL_REPORT_FILE = layout.FINAL_SPARSITY_REPORT
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


def momentum_beta(momentum: float) -> float:
    return momentum if momentum > 0 else DEFAULT_MOMENTUM


def make_hook(mask: Mask, dst: DSTHparams, *, training_steps: str, iterations_per_epoch: int, seed: int,
              momentum: float = 0.0, directory: Path | str | None = None, dynamic: bool = True,
              default_end: int | None = None, forced: Iterable[tuple[int, float]] = (),
              pattern: tuple[int, int] | None = None) -> MaskHook:
    """A `DSTHook` when DST is on and `dynamic`, else the static `MaskHook`; `pattern`: N:M growth.

    `directory` receives topology.csv (None on non-primary ranks); `momentum` is the optimiser's.
    """
    if not dst.enabled or not dynamic:
        return MaskHook(mask)
    total = parse_iterations(training_steps, iterations_per_epoch, "--training_steps")
    plan = DSTPlan.from_hparams(dst, total_iterations=total, iterations_per_epoch=iterations_per_epoch, seed=seed,
                                momentum_beta=momentum_beta(momentum), default_end=default_end, forced=forced)
    if pattern is not None:
        plan = dataclasses.replace(plan, pattern=tuple(pattern))
    return DSTHook(mask, plan, directory)


def job_hook(mask: Mask, dst: DSTHparams, training: Any, env: Any, directory: Path | str, *salt: object,
             dynamic: bool = True, default_end: int | None = None,
             forced: Iterable[tuple[int, float]] = (), pattern: Any = None) -> MaskHook:
    """`make_hook` for a job of a runner: `training` is its TrainingHparams, `env` its training Environment
    (iterations per epoch, replicate, whether this process writes files); `salt` separates the seeds of
    the jobs of one run (levels, ensemble members); `pattern`: the run's PatternHparams (N:M growth on
    a mask at density <= N/M)."""
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
    directory = Path(directory)
    fio.save_torch(directory / FINAL_MASK_FILE, mask.state_dict())
    cpu = mask.to("cpu")
    fio.write_json(directory / FINAL_REPORT_FILE, density_report(model, cpu) if model is not None else mask_report(cpu))


def load_final_mask(directory: Path | str) -> Mask | None:
    """The final mask of a dynamic sparse job, or None for a job whose mask did not move."""
    path = Path(directory) / FINAL_MASK_FILE
    if not path.exists():
        return None
    state = fio.load_torch(path)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UsageError(f"corrupt mask file {path}: expected a dict of tensors")
    return Mask(state)
