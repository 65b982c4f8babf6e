"""EDST: M free tickets from one dynamic sparse run (FreeTickets, Liu et al. 2022).

One iteration axis of length E_x + M * E_i:
  explore      [0, E_x)                       lr = --lr (constant after any warm-up), DST as configured
  member_j     [E_x + (j-1) E_i, E_x + j E_i)  lr = --lr / 10, then --lr / 100 from half-way; member_j for
                                              j >= 2 starts with one large prune-and-grow step that
                                              replaces --global_explore_fraction of each layer's weights
Each phase is a job in `<ensemble job>/<phase>/` (lock, checkpoint, resume, done.json) that starts
from the previous phase's final weights and mask. The ticket of member j is the phase's final
weights (`member_j/weights_final.pt`) with its final mask (`member_j/mask_final.pt`, layout.FINAL_MASK;
`mask.pt` is always a start mask: only the ensemble job's own, of pruning at initialisation). Each phase builds a
new optimiser, so momentum restarts at phase boundaries (where the lr jumps anyway).
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparselab.foundations import layout
from sparselab.ensembles.hparams import EnsembleHparams
from sparselab.foundations.desc import full_description
from sparselab.foundations.errors import UsageError
from sparselab.foundations.step import parse_iterations
from sparselab.pruning import dst as dynamic
from sparselab.pruning.mask import Mask
from sparselab.training import job, sparsity
from sparselab.training.hparams import TrainingHparams
from sparselab.training.standard import WEIGHTS_FINAL, load_weights, remove_checkpoint, train_in_directory

if TYPE_CHECKING:
    from sparselab.training.experiment import Experiment
    from sparselab.training.runner import TrainRunner

REFINE_LR_FACTOR = 0.1  # refinement starts at lr/10 and drops by another 10x half-way


@dataclasses.dataclass(frozen=True)
class Phase:
    name: str
    start: int
    end: int
    training: TrainingHparams
    forced: tuple[tuple[int, float], ...] = ()


def phases(training: TrainingHparams, ens: EnsembleHparams, iterations_per_epoch: int) -> list[Phase]:
    """The exploration phase and the M refinement phases, in absolute iterations."""
    ipe = iterations_per_epoch
    total = parse_iterations(training.training_steps, ipe, "--training_steps")
    m = ens.ensemble_members
    explore = parse_iterations(ens.exploration_steps, ipe, "--exploration_steps") if ens.exploration_steps \
        else total // 3
    refine = parse_iterations(ens.refine_steps, ipe, "--refine_steps") if ens.refine_steps \
        else (total - explore) // m
    if explore < 1 or refine < 2:
        raise UsageError(f"--ensemble=edst: exploration ({explore} iterations) must be >= 1 and each refinement "
                         f"phase ({refine} iterations) >= 2; lengthen --training_steps, --exploration_steps or "
                         f"--refine_steps")
    end = explore + m * refine
    steps = f"{end}it"
    out = [Phase(layout.EXPLORE, 0, explore, training.replace(training_steps=steps, milestone_steps="", schedule="step"))]
    for j in range(1, m + 1):
        start = explore + (j - 1) * refine
        half = start + math.ceil(refine / 2)
        refine_training = training.replace(lr=training.lr * REFINE_LR_FACTOR, milestone_steps=f"{half}it",
                                           gamma=REFINE_LR_FACTOR, warmup_steps="0ep", schedule="step",
                                           training_steps=steps)
        forced = ((start, ens.global_explore_fraction),) if j >= 2 else ()
        out.append(Phase(layout.member_name(j), start, start + refine, refine_training, forced))
    return out


def run(runner: "TrainRunner", ens: EnsembleHparams, exp: "Experiment", directory: Path) -> list[Path]:
    """Run (or resume, or skip) every phase; return the member directories."""
    env = exp.env
    assert env is not None
    plan = phases(runner.training, ens, env.data.iterations_per_epoch())
    end = plan[-1].end
    previous: Path | None = None
    members: list[Path] = []
    for phase in plan:
        phase_dir = directory / phase.name
        record = {**full_description(runner.bundles()),
                  "edst_phase": {"name": phase.name, "start_iteration": phase.start, "end_iteration": phase.end}}

        def work(phase: Phase = phase, phase_dir: Path = phase_dir, previous: Path | None = previous) -> dict[str, Any]:
            model = exp.build_model(runner.model)
            if previous is None:
                mask = _start_mask(runner, exp, directory, model)
                sparsity.scaled_start(model.state_dict(), model, mask, runner.init_pruning)
            else:
                model.load_state_dict(load_weights(previous / WEIGHTS_FINAL))
                mask = phase_mask(previous)
            hook = dynamic.job_hook(mask, runner.dst, phase.training, env, phase_dir, default_end=end,
                                    forced=phase.forced)
            result = train_in_directory(
                phase_dir, model, env, phase.training, start_iteration=phase.start, end_iteration=phase.end,
                hooks=[hook], log_prefix=f"[edst {phase.name}] ",
                summary=lambda m: {**sparsity.summary(m, hook.mask), **hook.metrics()})
            if exp.primary:
                dynamic.save_final_mask(phase_dir, hook.mask, model)  # the ticket's mask
            return {"phase": phase.name, **result}

        job.run_once(phase_dir, record, work, label=f"edst {phase.name}", verbose=exp.verbose,
                     after_done=lambda d=phase_dir: remove_checkpoint(d))
        previous = phase_dir
        if phase.name != layout.EXPLORE:
            members.append(phase_dir)
    return members


def phase_mask(phase_dir: Path) -> Mask:
    """The mask a phase ended with (`mask.pt` in phases written before the final mask had its own name)."""
    return dynamic.load_final_mask(phase_dir) or Mask.load(phase_dir)


def _start_mask(runner: "TrainRunner", exp: "Experiment", directory: Path, model) -> Mask:
    """The mask of pruning at initialisation, saved once as the ensemble job's `mask.pt`."""
    if Mask.exists(directory):
        return Mask.load(directory)
    assert exp.env is not None
    mask = sparsity.init_mask(exp.env, runner.training, runner.job_args.replicate, runner.init_pruning,
                              exp.build_model(runner.model), ignore=[])
    if exp.primary:
        mask.save(directory, model=model)
    return mask
