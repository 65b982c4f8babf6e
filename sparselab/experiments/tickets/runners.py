"""`supermask` and `str`, started from an ER network (the mask of pruning at initialisation). `supermask`: strong
lottery tickets (edge-popup, ER_SLT), a job per level `level_<L>/main/` (ER_SLT's level L + 1) whose lr schedule
restarts (ER_SLT's epoch counter does); --carry_optimizer carries ER_SLT's one optimiser's momentum on. `str`: STR
soft thresholds inside the ER mask; effective weights sign(w) * relu(|w| - sigmoid(s)), logged per layer."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch

from sparselab.core import io as fio
from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.core.seeds import derive_seed
from sparselab.experiments.tickets.command import ERStartCommand, STRHparams, SupermaskHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.reparam import key
from sparselab.sparsity.str_ import DensityHistory, STRNet
from sparselab.sparsity.supermask import SupermaskNet, kept_fractions
from sparselab.train import job, sparsity
from sparselab.train.experiment import Experiment
from sparselab.train.loop import BaseHook
from sparselab.train.sparse_job import flag_mask, saved_flag_mask
from sparselab.train.standard import WEIGHTS_FINAL, load_weights, remove_checkpoint, train_in_directory
from sparselab.train.steps import resolve_steps


@dataclass
class SupermaskRunner(ERStartCommand):
    name: ClassVar[str] = "supermask"
    description: ClassVar[str] = "strong lottery tickets: train scores of frozen weights inside an ER mask"
    own: ClassVar[type] = SupermaskHparams
    section: ClassVar[str] = "supermask"
    # ER_SLT's BatchNorm is not affine: frozen at scale 1 and shift 0 ("fixed") is the same network.
    defaults: ClassVar[dict[str, Any]] = {"batchnorm_init": "fixed"}

    supermask: SupermaskHparams

    def __post_init__(self) -> None:
        self.steps = resolve_steps(self, ("training",), self.dataset)
        er = self.init_pruning.init_density
        if er is not None and self.supermask.supermask_density > er:
            raise UsageError(f"--supermask_density={self.supermask.supermask_density} is above the ER density "
                             f"--init_density={er}: the supermask is chosen inside the ER mask")

    def level_directory(self, root: Path, level: int) -> Path:
        return layout.level_dir(self.experiment_directory(root), level)

    def run(self) -> None:
        exp = Experiment.create(self.platform, self.job_args)
        net = exp.open_job(self, self.experiment_directory(exp.root))
        if net is None:
            return
        er_mask, s = self.er_mask(exp, net), self.supermask
        result: dict[str, Any] = {}
        for level, fraction in enumerate(kept_fractions(s.supermask_start_density, s.supermask_density,
                                                        er_mask.density, s.levels)):
            result = self.run_level(exp, net, er_mask, level, fraction)
        exp.print_result(result)

    def er_mask(self, exp: Experiment, net: torch.nn.Module) -> Mask:
        """Level 0's mask.pt if it exists, else the mask of pruning at initialisation (all ones without it)."""
        first = self.level_directory(exp.root, 0)
        if Mask.exists(first):
            return Mask.load(first)
        assert exp.env is not None
        return flag_mask(exp.env, self, copy.deepcopy(net))

    def start(self, exp: Experiment, net: torch.nn.Module, er_mask: Mask, level: int) -> SupermaskNet:
        """The wrapped network at the start of `level`."""
        model = copy.deepcopy(net)
        if level > 0:  # everything comes from the previous level's final state
            wrapped = SupermaskNet(model, er_mask, seed=0)
            wrapped.load_state_dict(load_weights(self.level_directory(exp.root, level - 1) / WEIGHTS_FINAL))
            return wrapped
        sparsity.scaled_start(net.state_dict(), model, er_mask, self.init_pruning)
        if self.supermask.scale_fan:
            with torch.no_grad():
                for p in er_mask.check_model(model).values():
                    p.div_(self.supermask.supermask_density ** 0.5)
        return SupermaskNet(model, er_mask, seed=derive_seed("supermask_scores", self.job_args.replicate))

    def run_level(self, exp: Experiment, net: torch.nn.Module, er_mask: Mask, level: int,
                  fraction: float) -> dict[str, Any]:
        directory = self.level_directory(exp.root, level)
        carry = self.supermask.carry_optimizer
        assert exp.env is not None

        def work() -> dict[str, Any]:
            assert exp.env is not None
            wrapped = self.start(exp, net, er_mask, level)
            wrapped.set_kept_fraction(fraction)
            if exp.primary:
                er_mask.save(directory, model=net)
            # --carry_optimizer: level L-1's final optimiser state, verified against its done.json
            carried = fio.load_torch(self.level_directory(exp.root, level - 1) / layout.OPTIMIZER_FINAL) \
                if carry and level > 0 else None
            result = train_in_directory(directory, wrapped, exp.env, self.training,
                                        summary=lambda m: summary(m, fraction),
                                        log_prefix=f"[level {level}/{self.supermask.levels - 1}] ",
                                        optimizer_start=carried, keep_optimizer=carry)
            if exp.primary:
                fio.save_torch(directory / layout.SUPERMASK, wrapped.selected().state_dict())
            return result

        return job.run_once(directory, self.described.record(), work,
                            label=f"supermask level {level}", after_done=lambda: remove_checkpoint(directory))


def summary(model: SupermaskNet, fraction: float) -> dict[str, Any]:
    selected = model.selected()
    return {"kept_fraction": fraction, "density": selected.density, "kept_weights": selected.num_kept,
            "prunable_weights": selected.num_total, "er_density": model.er_density}


class STRHook(BaseHook):
    """Threshold decay (`--st_decay` in place of the optimiser's weight decay) and the density history."""

    def __init__(self, model: STRNet, st_decay: float | None, weight_decay: float, ipe: int,
                 directory: Path | None) -> None:
        self.extra = None if st_decay is None else st_decay - weight_decay
        self.history = DensityHistory(model.names)
        self.model, self.ipe, self.directory, self.iteration = model, ipe, directory, 0

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
