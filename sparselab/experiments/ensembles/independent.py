"""Ensembles of independent runs: `dst` (M dynamic sparse runs) and `pf` (M dense runs, pruned once and
fine-tuned).

Member i of ensemble replicate R is the ordinary `train` job of the same flags (without the
ensemble flags) at replicate (R - 1) * M + i, so every member has its own seeds derived from its
replicate, lives where a plain `train` run of that replicate would, and is reused if it exists.
A `pf` member then gets one more job in `<ensemble job>/member_<i>/`: global magnitude pruning of
the dense final weights to --pf_density (`pruning.prune.prune_to_density`) and fine-tuning with the
mask fixed at the constant lr --pf_lr for --pf_finetune_steps.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparselab.core import layout
from sparselab.experiments.ensembles.hparams import EnsembleHparams
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.dst_hparams import DSTHparams
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune_to_density
from sparselab.train import job
from sparselab.train.experiment import Experiment
from sparselab.train.sparse_job import SparseJob, run_sparse_job
from sparselab.train.standard import WEIGHTS_FINAL, load_weights, remove_checkpoint

if TYPE_CHECKING:
    from sparselab.train.runner import TrainRunner


def member_replicate(replicate: int, members: int, i: int) -> int:
    """The replicate of member i (1-based) of ensemble replicate `replicate`."""
    return (replicate - 1) * members + i


def member_runner(runner: "TrainRunner", members: int, i: int, **changes: Any) -> "TrainRunner":
    """Member i: the plain train job (default ensemble bundle, as a plain `train` run records it)."""
    r = member_replicate(runner.job_args.replicate, members, i)
    return dataclasses.replace(runner, job_args=runner.job_args.replace(replicate=r),
                               extra={"ensemble": EnsembleHparams()}, **changes)


def _train_members(runner: "TrainRunner", members: int, exp: Experiment,
                   **changes: Any) -> list[tuple["TrainRunner", Experiment]]:
    out = []
    for i in range(1, members + 1):
        member = member_runner(runner, members, i, **changes)
        member_exp = Experiment(exp.platform, member.job_args)
        member.run(member_exp)
        out.append((member, member_exp))
    return out


def run_dst(runner: "TrainRunner", ens: EnsembleHparams, exp: Experiment, directory: Path) -> list[Path]:
    return [m.directory(exp.root) for m, _ in _train_members(runner, ens.ensemble_members, exp)]


def run_pf(runner: "TrainRunner", ens: EnsembleHparams, exp: Experiment, directory: Path) -> list[Path]:
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
