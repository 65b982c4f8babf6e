"""Optimiser registry and the learning-rate schedule as a pure function of the absolute iteration."""
from __future__ import annotations

import math
from typing import Callable, Iterable

import torch

from sparselab.train.hparams import TrainingHparams
from sparselab.speed.cpu_sgd import SGD
from sparselab.train.steps import Schedule

Optimizer = torch.optim.Optimizer | SGD
OptimizerFactory = Callable[[Iterable[torch.nn.Parameter], TrainingHparams], Optimizer]


def _sgd(params, h: TrainingHparams) -> Optimizer:
    return SGD(params, lr=h.lr, momentum=h.momentum, nesterov=h.nesterov, weight_decay=h.weight_decay)


def _adam(params, h: TrainingHparams) -> torch.optim.Optimizer:
    betas = (h.momentum, 0.999) if h.momentum > 0 else (0.9, 0.999)
    return torch.optim.Adam(params, lr=h.lr, betas=betas, weight_decay=h.weight_decay, foreach=True)


def _adamw(params, h: TrainingHparams) -> torch.optim.Optimizer:
    betas = (h.momentum, 0.999) if h.momentum > 0 else (0.9, 0.999)
    return torch.optim.AdamW(params, lr=h.lr, betas=betas, weight_decay=h.weight_decay, foreach=True)


OPTIMIZERS: dict[str, OptimizerFactory] = {"sgd": _sgd, "adam": _adam, "adamw": _adamw}


def build_optimizer(model: torch.nn.Module, hparams: TrainingHparams) -> Optimizer:
    return OPTIMIZERS[hparams.optimizer_name](model.parameters(), hparams)


class LearningRateSchedule:
    """lr(i) = base * warmup(i) * decay(i) of the absolute iteration: a rewound or resumed run's lr is exact."""

    def __init__(self, hparams: TrainingHparams, iterations_per_epoch: int) -> None:
        self.base = hparams.lr
        self.gamma = hparams.gamma
        self.cosine = hparams.schedule == "cosine"
        steps = Schedule.resolve(iterations_per_epoch, hparams)
        self.warmup = steps.get("warmup_steps", 0)
        self.milestones = list(steps.get("milestone_steps", ()))
        self.total = steps.end

    def __call__(self, iteration: int) -> float:
        factor = 1.0
        if self.warmup > 0:
            factor *= min(1.0, (iteration + 1) / self.warmup)
        if self.cosine:
            span = max(1, self.total - self.warmup)
            progress = min(1.0, max(0.0, (iteration - self.warmup) / span))
            factor *= 0.5 * (1.0 + math.cos(math.pi * progress))
        factor *= self.gamma ** sum(1 for m in self.milestones if iteration >= m)
        return self.base * factor


def set_learning_rate(optimizer: Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
