"""`train --ensemble=edst|dst|pf`: train the members, then evaluate the ensemble into the job's done.json.

The ensemble is one job (`train_<hash>/replicate_<R>/main`, the hash includes the ensemble flags) whose `done.json`
lists its members as paths relative to it (what `evaluate_ensemble` reads). A `dst`/`pf` member i of ensemble
replicate R is the plain `train` job of the same flags at replicate (R - 1) * M + i (own seeds, reused if it exists);
a `pf` member then gets one more job `<ensemble job>/member_<i>/`: global magnitude pruning of the dense final
weights to --pf_density, fine-tuned with that mask at the constant lr --pf_lr for --pf_finetune_steps.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sparselab.core import layout
from sparselab.experiments.ensembles import edst
from sparselab.experiments.ensembles.hparams import EnsembleHparams
from sparselab.experiments.ensembles.members import member_probabilities, relative, resolve
from sparselab.experiments.ensembles.metrics import evaluate
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.dst_hparams import DSTHparams
from sparselab.sparsity.init_hparams import InitPruningHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune_to_density
from sparselab.train import job
from sparselab.train.experiment import Experiment
from sparselab.train.runner import TrainRunner
from sparselab.train.sparse_job import SparseJob, run_sparse_job
from sparselab.train.standard import WEIGHTS_FINAL, load_weights, remove_checkpoint


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


Builder = Callable[[TrainRunner, EnsembleHparams, Experiment, Path], list[Path]]
BUILDERS: dict[str, Builder] = {"edst": edst.run, "dst": run_dst, "pf": run_pf}


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
        exp = Experiment.create(self.train.platform, self.train.job_args)
        directory = self.train.directory(exp.root)
        if self.train.job_args.print_path:
            print(directory)
            return
        run_ensemble(self.train, self.ensemble, exp, directory)


def run_ensemble(runner: TrainRunner, ensemble: EnsembleHparams, exp: Experiment, directory: Path) -> None:
    kind = ensemble.ensemble
    assert kind is not None
    exp.load_data(runner.dataset, runner.training.precision)
    exp.banner(f"train --ensemble={kind}", runner.bundles(), directory)

    def work() -> dict[str, Any]:
        dirs = BUILDERS[kind](runner, ensemble, exp, directory)
        assert exp.env is not None
        members = resolve(dirs)
        probs, labels = member_probabilities(members, exp.env.data, exp.platform.device)
        return {"ensemble": kind, "members": [relative(m.directory, directory) for m in members],
                **summary(evaluate(probs, labels))}

    done = job.run_once(directory, runner.described.record(), work, label=f"ensemble {kind}",
                        verbose=exp.verbose)
    if exp.primary:
        print(f"result: ensemble test accuracy {100 * done['ensemble_test_accuracy']:.2f}% "
              f"(members {', '.join(f'{100 * a:.2f}%' for a in done['member_test_accuracy'])}; "
              f"disagreement {done['mean_disagreement']:.4f}); "
              f"python main.py evaluate_ensemble {directory} for the full table", flush=True)
