"""EDST: M free tickets from one dynamic sparse run (FreeTickets, Liu et al. 2022), on one iteration axis:

  explore      [0, E_x)                       lr = --lr (constant after any warm-up), DST as configured
  member_j     [E_x + (j-1) E_i, E_x + j E_i)  lr = --lr / 10, then --lr / 100 from half-way; member_j for
                                              j >= 2 starts with one large prune-and-grow step that
                                              replaces --global_explore_fraction of each layer's weights
Each phase is a job `<ensemble job>/<phase>/` starting from the previous phase's final weights and mask (a new
optimiser: momentum restarts where the lr jumps anyway); member j's ticket is its weights_final.pt + mask_final.pt.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparselab.core import layout
from sparselab.experiments.ensembles.hparams import EnsembleHparams
from sparselab.core.errors import UsageError
from sparselab.store.job import FinishedJob
from sparselab.train import job
from sparselab.train.hparams import TrainingHparams
from sparselab.train.sparse_job import SparseJob, run_sparse_job, saved_flag_mask
from sparselab.train.standard import remove_checkpoint
from sparselab.train.steps import Schedule

if TYPE_CHECKING:
    from sparselab.train.experiment import Experiment
    from sparselab.train.runner import TrainRunner

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
    schedule = Schedule.resolve(iterations_per_epoch, training, ens)
    total, m = schedule.end, ens.ensemble_members
    explore = schedule.get("exploration_steps", total // 3)
    refine = schedule.get("refine_steps", (total - explore) // m)
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
        record = runner.described.record(
            edst_phase={"name": phase.name, "start_iteration": phase.start, "end_iteration": phase.end})

        def work(phase: Phase = phase, phase_dir: Path = phase_dir, previous: Path | None = previous) -> dict[str, Any]:
            return {"phase": phase.name, **run_sparse_job(phase_job(runner, exp, directory, phase, phase_dir,
                                                                    previous, end))}

        job.run_once(phase_dir, record, work, label=f"edst {phase.name}", verbose=exp.verbose,
                     after_done=lambda d=phase_dir: remove_checkpoint(d))
        previous = phase_dir
        if phase.name != layout.EXPLORE:
            members.append(phase_dir)
    return members


def phase_job(runner: "TrainRunner", exp: "Experiment", directory: Path, phase: Phase, phase_dir: Path,
              previous: Path | None, end: int) -> SparseJob:
    """The explore phase starts from the seeded initialisation under the mask of pruning at initialisation
    (the ensemble job's `mask.pt`), a member phase from the previous phase's final weights and mask."""
    assert exp.env is not None
    template = exp.build_model(runner.model)
    common = dict(dst=runner.dst, start_iteration=phase.start, end_iteration=phase.end, default_end=end,
                  forced=phase.forced, log_prefix=f"[edst {phase.name}] ")
    if previous is None:
        mask = saved_flag_mask(directory, exp.env, runner, template)
        return SparseJob(phase_dir, exp.env, template, template.state_dict(), phase.training, mask=mask,
                         init=runner.init_pruning, **common)  # type: ignore[arg-type]
    before = FinishedJob(previous)  # its final mask: mask.pt in phases written before mask_final.pt had its name
    return SparseJob(phase_dir, exp.env, template, before.tensors(), phase.training, mask=before.final_mask(),
                     apply_mask=False, **common)  # type: ignore[arg-type]
