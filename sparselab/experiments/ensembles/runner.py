"""`train --ensemble=edst|dst|pf`: train the members, then evaluate the ensemble into the job's done.json.

The ensemble is one job (`train_<hash>/replicate_<R>/main`, the hash includes the ensemble flags)
whose `done.json` lists its members as paths relative to it, which is what `evaluate_ensemble` reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sparselab.experiments.ensembles import edst, independent
from sparselab.experiments.ensembles.hparams import EnsembleHparams
from sparselab.experiments.ensembles.members import member_probabilities, relative, resolve
from sparselab.experiments.ensembles.metrics import evaluate
from sparselab.train import job
from sparselab.train.experiment import Experiment
from sparselab.train.runner import TrainRunner

Builder = Callable[[TrainRunner, EnsembleHparams, Experiment, Path], list[Path]]
BUILDERS: dict[str, Builder] = {"edst": edst.run, "dst": independent.run_dst, "pf": independent.run_pf}


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
