"""`supermask`: strong lottery tickets in an ER network (edge-popup, ER_SLT), one job per level in
`supermask_<hash>/replicate_<R>/level_<L>/main/` (level L is ER_SLT's level L + 1). Each level's lr schedule restarts
(as ER_SLT's epoch counter); --carry_optimizer carries ER_SLT's one optimiser's momentum via `optimizer_final.pt`.
"""
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
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.supermask import SupermaskNet, kept_fractions
from sparselab.experiments.tickets.command import ERStartCommand, SupermaskHparams
from sparselab.train import job, sparsity
from sparselab.train.sparse_job import flag_mask
from sparselab.train.experiment import Experiment
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

    def fractions(self, er_density: float) -> list[float]:
        s = self.supermask
        return kept_fractions(s.supermask_start_density, s.supermask_density, er_density, s.levels)

    def run(self) -> None:
        exp = Experiment.create(self.platform, self.job_args)
        net = exp.open_job(self, self.experiment_directory(exp.root))
        if net is None:
            return
        er_mask = self.er_mask(exp, net)
        fractions = self.fractions(er_mask.density)
        result: dict[str, Any] = {}
        for level, fraction in enumerate(fractions):
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

    def carried_optimizer(self, exp: Experiment, level: int) -> dict[str, Any] | None:
        """Level L-1's final optimiser state (verified against its done.json) under --carry_optimizer."""
        if not self.supermask.carry_optimizer or level == 0:
            return None
        return fio.load_torch(self.level_directory(exp.root, level - 1) / layout.OPTIMIZER_FINAL)

    def run_level(self, exp: Experiment, net: torch.nn.Module, er_mask: Mask, level: int,
                  fraction: float) -> dict[str, Any]:
        directory = self.level_directory(exp.root, level)
        assert exp.env is not None

        def work() -> dict[str, Any]:
            assert exp.env is not None
            wrapped = self.start(exp, net, er_mask, level)
            wrapped.set_kept_fraction(fraction)
            if exp.primary:
                er_mask.save(directory, model=net)
            carry = self.supermask.carry_optimizer
            result = train_in_directory(directory, wrapped, exp.env, self.training,
                                        summary=lambda m: summary(m, fraction),
                                        log_prefix=f"[level {level}/{self.supermask.levels - 1}] ",
                                        optimizer_start=self.carried_optimizer(exp, level), keep_optimizer=carry)
            if exp.primary:
                fio.save_torch(directory / layout.SUPERMASK, wrapped.selected().state_dict())
            return result

        return job.run_once(directory, self.described.record(), work,
                            label=f"supermask level {level}", after_done=lambda: remove_checkpoint(directory))


def summary(model: SupermaskNet, fraction: float) -> dict[str, Any]:
    selected = model.selected()
    return {"kept_fraction": fraction, "density": selected.density, "kept_weights": selected.num_kept,
            "prunable_weights": selected.num_total, "er_density": model.er_density}
