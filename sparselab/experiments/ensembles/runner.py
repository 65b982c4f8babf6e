"""`train --ensemble=edst|dst|pf`: train the members, then evaluate the ensemble into the one ensemble job's done.json,
which lists its members relative to it. A `dst`/`pf` member i of ensemble replicate R is the plain `train` job at
replicate (R - 1) * M + i; a `pf` member is then pruned once (global magnitude, --pf_density) and fine-tuned at --pf_lr.
EDST (FreeTickets, Liu et al. 2022) is one dynamic sparse run, a job per phase on one iteration axis:
  explore      [0, E_x)                       lr = --lr (constant after any warm-up), DST as configured
  member_j     [E_x + (j-1) E_i, E_x + j E_i)  lr = --lr / 10, then --lr / 100 from half-way; member_j for j >= 2
                                              starts with one prune-and-grow step of --global_explore_fraction
each from the previous phase's final weights and mask (a new optimiser: momentum restarts where the lr jumps anyway).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.experiments.ensembles.hparams import EnsembleHparams
from sparselab.experiments.ensembles.members import member_probabilities, relative, resolve
from sparselab.experiments.ensembles.metrics import evaluate
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.dst_hparams import DSTHparams
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune_to_density
from sparselab.store.job import FinishedJob
from sparselab.train import job
from sparselab.train.experiment import Experiment
from sparselab.train.hparams import TrainingHparams
from sparselab.train.runner import TrainRunner
from sparselab.train.sparse_job import SparseJob, run_sparse_job, saved_flag_mask
from sparselab.train.standard import WEIGHTS_FINAL, load_weights, remove_checkpoint
from sparselab.train.steps import Schedule


def _train_members(runner: TrainRunner, members: int, exp: Experiment,
                   **changes: Any) -> list[tuple[TrainRunner, Experiment]]:
    """The plain train jobs (default ensemble bundle, as a plain `train` run records it), run or reused."""
    out = []
    for i in range(1, members + 1):
        r = (runner.job_args.replicate - 1) * members + i
        member = dataclasses.replace(runner, job_args=runner.job_args.replace(replicate=r),
                                     extra={"ensemble": EnsembleHparams()}, **changes)
        member_exp = Experiment(exp.platform, member.job_args)
        member.run(member_exp)
        out.append((member, member_exp))
    return out


def run_dst(runner: TrainRunner, ens: EnsembleHparams, exp: Experiment, directory: Path) -> list[Path]:
    return [m.directory(exp.root) for m, _ in _train_members(runner, ens.ensemble_members, exp)]


def run_pf(runner: TrainRunner, ens: EnsembleHparams, exp: Experiment, directory: Path) -> list[Path]:
    finetune = runner.training.replace(lr=ens.pf_lr, milestone_steps="", warmup_steps="0ep", schedule="step",
                                       training_steps=ens.pf_finetune_steps or runner.training.training_steps)
    members = []
    dense_runs = _train_members(runner, ens.ensemble_members, exp, init_pruning=InitPruningHparams(), dst=DSTHparams())
    for i, (dense, dense_exp) in enumerate(dense_runs, start=1):
        member_dir = directory / layout.member_name(i)
        dense_dir = dense.directory(exp.root)
        record = runner.described.record(pf_member={"index": i, "dense_job": str(dense_dir)})

        def work(i=i, dense=dense, dense_exp=dense_exp, dense_dir=dense_dir, member_dir=member_dir) -> dict[str, Any]:
            env = dense_exp.env
            assert env is not None
            model, start = dense_exp.build_model(dense.model), load_weights(dense_dir / WEIGHTS_FINAL)
            model.load_state_dict(start)
            if Mask.exists(member_dir):
                mask = Mask.load(member_dir)
            else:
                mask = prune_to_density(model.to(env.device), Mask.ones_like(model), ens.pf_density, "magnitude",
                                        "global", ScoreContext(device=env.device))
                if exp.primary:
                    mask.save(member_dir, model=model)
            return run_sparse_job(SparseJob(member_dir, env, model, start, finetune, mask=mask,
                                            log_prefix=f"[pf member {i}] "))

        job.run_once(member_dir, record, work, label=f"pf member {i}", verbose=exp.verbose,
                     after_done=lambda d=member_dir: remove_checkpoint(d))
        members.append(member_dir)
    return members


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


def run_edst(runner: TrainRunner, ens: EnsembleHparams, exp: Experiment, directory: Path) -> list[Path]:
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


def phase_job(runner: TrainRunner, exp: Experiment, directory: Path, phase: Phase, phase_dir: Path,
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


BUILDERS: dict[str, Callable[[TrainRunner, EnsembleHparams, Experiment, Path], list[Path]]] = {
    "edst": run_edst, "dst": run_dst, "pf": run_pf}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The compact numbers that go into done.json (final_test_accuracy = the ensemble's)."""
    e = result["ensemble"]
    return {"final_test_accuracy": e["accuracy"], "ensemble_test_accuracy": e["accuracy"],
            "ensemble_test_nll": e["nll"], "ensemble_test_ece": e["ece"], "ensemble_test_brier": e["brier"],
            "member_test_accuracy": [m["accuracy"] for m in result["members"]],
            "member_test_nll": [m["nll"] for m in result["members"]],
            "mean_disagreement": result["mean_disagreement"], "mean_kl": result["mean_kl"]}


@dataclass
class EnsembleRunner:
    """An ensemble job composed over the train runner whose flags (and `ensemble` bundle) it has."""

    train: TrainRunner
    ensemble: EnsembleHparams

    def bundles(self) -> dict[str, Any]:
        return self.train.bundles()  # the ensemble bundle is among them (train.extra)

    def experiment_folder(self, root: Path) -> Path:
        return self.train.experiment_folder(root)

    def run(self) -> None:
        runner, ensemble, kind = self.train, self.ensemble, self.ensemble.ensemble
        assert kind is not None
        exp = Experiment.create(runner.platform, runner.job_args)
        directory = runner.directory(exp.root)
        if runner.job_args.print_path:
            print(directory)
            return
        exp.load_data(runner.dataset, runner.training.precision)
        exp.banner(f"train --ensemble={kind}", runner.bundles(), directory)

        def work() -> dict[str, Any]:
            dirs = BUILDERS[kind](runner, ensemble, exp, directory)
            assert exp.env is not None
            members = resolve(dirs)
            probs, labels = member_probabilities(members, exp.env.data, exp.platform.device)
            return {"ensemble": kind, "members": [relative(m.directory, directory) for m in members],
                    **summary(evaluate(probs, labels))}

        done = job.run_once(directory, runner.described.record(), work, label=f"ensemble {kind}", verbose=exp.verbose)
        if exp.primary:
            print(f"result: ensemble test accuracy {100 * done['ensemble_test_accuracy']:.2f}% "
                  f"(members {', '.join(f'{100 * a:.2f}%' for a in done['member_test_accuracy'])}; "
                  f"disagreement {done['mean_disagreement']:.4f}); "
                  f"python main.py evaluate_ensemble {directory} for the full table", flush=True)
