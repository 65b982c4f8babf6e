"""`str`: STR (learned per-layer soft thresholds) inside the fixed ER mask of pruning at initialisation
(`mask.pt`), in `str_<hash>/replicate_<R>/main/`; `layer_densities.csv` logs the effective weights'
densities, sign(w) * relu(|w| - sigmoid(s)) under the mask, and each threshold.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch

from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.reparam import key
from sparselab.sparsity.str_ import DensityHistory, STRNet
from sparselab.experiments.tickets.command import ERStartCommand, STRHparams
from sparselab.train import job, sparsity
from sparselab.train.experiment import Experiment
from sparselab.train.loop import BaseHook
from sparselab.train.sparse_job import saved_flag_mask
from sparselab.train.standard import remove_checkpoint, train_in_directory
from sparselab.train.steps import resolve_steps


class STRHook(BaseHook):
    """Threshold decay (`--st_decay` in place of the optimiser's weight decay) and the density history."""

    def __init__(self, model: STRNet, st_decay: float | None, weight_decay: float, ipe: int,
                 directory: Path | None) -> None:
        self.extra = None if st_decay is None else st_decay - weight_decay
        self.history = DensityHistory(model.names)
        self.model = model
        self.ipe = ipe
        self.directory = directory
        self.iteration = 0

    @torch.no_grad()
    def before_optimizer_step(self, model, optimizer, iteration: int) -> None:
        self.iteration = iteration + 1  # the step being taken; metrics() after it sees this many steps
        if self.extra:
            for s in self.model.thresholds.values():
                if s.grad is not None:
                    s.grad.add_(s, alpha=self.extra)

    def on_start(self, model, optimizer, iteration: int) -> None:
        self.iteration = iteration

    def metrics(self) -> dict[str, Any]:
        row = self.model.densities()
        self.history.add({"iteration": self.iteration, "epoch": round(self.iteration / self.ipe, 4), **row})
        if self.directory is not None:
            self.history.save(self.directory)
        return {"str_density": row["density"]}

    def state_dict(self) -> dict[str, Any]:
        return {"rows": self.history.rows, "iteration": self.iteration}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = DensityHistory(self.model.names, state["rows"])
        self.iteration = int(state["iteration"])


@dataclass
class STRRunner(ERStartCommand):
    name: ClassVar[str] = "str"
    description: ClassVar[str] = "STR: learned per-layer soft thresholds, from an ER mask"
    own: ClassVar[type] = STRHparams
    section: ClassVar[str] = "str"

    str_args: STRHparams

    def __post_init__(self) -> None:
        self.steps = resolve_steps(self, ("training",), self.dataset)
        if self.str_args.st_decay is not None and self.training.optimizer_name == "adamw":
            raise UsageError("--st_decay is added to the thresholds' gradient (L2), which adamw's decoupled "
                             "decay does not match; use sgd or adam")

    def directory(self, root: Path) -> Path:
        return layout.train_dir(self.experiment_directory(root))

    def run(self) -> None:
        exp = Experiment.create(self.platform, self.job_args)
        directory = self.directory(exp.root)
        net = exp.open_job(self, directory)
        if net is None:
            return

        def work() -> dict[str, Any]:
            assert exp.env is not None
            mask = saved_flag_mask(directory, exp.env, self, net)
            sparsity.scaled_start(net.state_dict(), net, mask, self.init_pruning)
            wrapped = STRNet(net, mask, self.str_args.str_s_init)
            hook = STRHook(wrapped, self.str_args.st_decay, self.training.weight_decay,
                           exp.env.data.iterations_per_epoch(), directory if exp.primary else None)
            return train_in_directory(directory, wrapped, exp.env, self.training, hooks=[hook],
                                      summary=lambda m: final_summary(wrapped, mask))

        result = job.run_once(directory, self.described.record(), work, label="str",
                              after_done=lambda: remove_checkpoint(directory))
        exp.print_result(result)


def final_summary(model: STRNet, er_mask: Mask) -> dict[str, Any]:
    row = model.densities()
    return {"density": row["density"], "er_density": er_mask.density,
            "layer_densities": {n: row[f"density[{n}]"] for n in model.names},
            "thresholds": {n: float(torch.sigmoid(model.thresholds[key(n)].detach())) for n in model.names}}
