"""The training bundle: optimiser, schedule, length, seeds of data order and augmentation."""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Mapping

from sparselab.core.hparams import Hparams, hparam, require
from sparselab.core.step import parse_iterations, parse_step_list, validate_step_string
from sparselab.data.hparams import AUGMENTS, NOISE
from sparselab.core.when import When, either, nonempty, off, on, one_of, positive

LOGGERS = ("tensorboard", "wandb")  # train/loggers.py
MAX_LR = 1e3  # far above any published schedule; larger is a typo that diverges at once


def logger_names(value: object) -> tuple[str, ...]:
    return tuple(n.strip() for n in str(value or "").split(",") if n.strip() and n.strip().lower() != "none")


WANDB = When(lambda get: "wandb" in logger_names(get("loggers")), lambda get, p: f"--{p}loggers=wandb")


def check_schedule(total: str, warmup: str | None, milestones: str | None, ipe: int, prefix: str = "") -> None:
    """At least one iteration, warm-up and milestones inside (None: not checked). Shared by fine-tuning."""
    end = parse_iterations(total, ipe, f"--{prefix}training_steps")
    require(end >= 1, f"--{prefix}training_steps={total} is zero iterations; train for at least 1it")
    w = parse_iterations(warmup or "0ep", ipe, f"--{prefix}warmup_steps")
    require(w < end or w == 0, f"--{prefix}warmup_steps={warmup} ({w} iterations) does not end before the end of "
                               f"training ({total} = {end} iterations; {ipe} iterations per epoch)")
    seen: set[int] = set()
    for m in parse_step_list(milestones or "", f"--{prefix}milestone_steps"):
        i = parse_iterations(m, ipe, f"--{prefix}milestone_steps")
        require(i < end, f"--{prefix}milestone_steps: {m} ({i} iterations) is at or after the end of training "
                         f"({total} = {end} iterations; {ipe} iterations per epoch)")
        require(i not in seen, f"--{prefix}milestone_steps: two milestones at iteration {i} ({ipe} iterations "
                               "per epoch); give each once")
        seen.add(i)


@dataclasses.dataclass(frozen=True)
class TrainingHparams(Hparams):
    section: ClassVar[str] = "training"
    _group: ClassVar[str] = "Training"
    optimizer_name: str = hparam("sgd", "optimiser", choices=("sgd", "adam", "adamw"))
    lr: float = hparam(0.1, "base learning rate")
    training_steps: str = hparam("40ep", "length of training: 160ep, 1000it, 2ep100it", step="one")
    momentum: float = hparam(0.0, "SGD momentum (Adam: beta1 stays default)")
    nesterov: bool = hparam(False, "Nesterov momentum (SGD)",
                            only_with=(one_of("optimizer_name", ("sgd",)), positive("momentum")))
    weight_decay: float = hparam(0.0, "L2 weight decay (decoupled for adamw)")
    milestone_steps: str = hparam("", "comma list of steps where the lr is multiplied by gamma", step="list")
    gamma: float = hparam(0.1, "lr factor at each milestone", only_with=nonempty("milestone_steps"))
    warmup_steps: str = hparam("0ep", "linear warm-up length", step="one")
    schedule: str = hparam("step", "lr schedule after warm-up", choices=("step", "cosine"))
    label_smoothing: float = hparam(0.0, "label smoothing of the cross-entropy loss")
    precision: str = hparam("fp32", "arithmetic precision: bf16/fp16 change results (so it is hashed); "
                            "fp16 GPU only; bf16 on the CPU is faster only with native bf16 (avx512_bf16, amx)",
                            choices=("fp32", "bf16", "fp16"))
    data_order_seed: int | None = hparam(None, "seed of the data order (default: derived from the replicate)")
    augmentation_seed: int | None = hparam(None, "seed of augmentation (default: derived from the replicate)",
                                         only_with=(AUGMENTS, off("do_not_augment")))
    regain_pruned_weights_steps: str | None = hparam(
        None, "re-dense training: at this step every pruned weight comes back at 0 and trains densely "
              "(the retrain branch only: --retrain_t_regain_pruned_weights_steps)", step="one")
    eval_train: bool = hparam(False, "also evaluate on the training set every epoch", hashed=False)
    train_eval_every: int = hparam(0, "evaluate the training set (--eval_train, label noise) every N epochs and at "
                                      "the end; 0: every epoch with --eval_train, else about 20 times per run",
                                   hashed=False, only_with=either(on("eval_train"), NOISE))
    eval_batch_size: int | None = hparam(None, "evaluation batch size (default: per device and model; does not "
                                               "change predictions)", hashed=False)
    loggers: str | None = hparam(None, "also log the metrics to tensorboard (<job>/tensorboard; needs the "
                                 "tensorboard package) and/or wandb (Weights & Biases; needs the wandb package; "
                                 "WANDB_MODE=offline writes <job>/wandb without network; one run per job): a "
                                 f"comma list [{'|'.join(LOGGERS)}]", hashed=False)
    wandb_project: str = hparam("sparselab", "W&B project of --loggers=wandb", hashed=False, only_with=WANDB)
    wandb_entity: str | None = hparam(None, "W&B entity (user or team) of --loggers=wandb (default: W&B's own "
                                            "default)", hashed=False, only_with=WANDB)
    wandb_group: str | None = hparam(None, "W&B group of --loggers=wandb (default: the experiment folder, "
                                           "e.g. lottery_<hash>)", hashed=False, only_with=WANDB)

    retired_flags: ClassVar[dict[str, str]] = {name: f"use --{{p}}loggers={name} (a comma list: tensorboard,wandb)"
                                                for name in LOGGERS}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "TrainingHparams":
        """Records written before --loggers (2026-12) hold two bools, tensorboard and wandb."""
        values = dict(values)
        retired = [name for name in LOGGERS if values.pop(name, False) is True]
        if retired and values.get("loggers") is None:
            values["loggers"] = ",".join(retired)
        return super().from_dict(values)  # type: ignore[return-value]

    @property
    def logger_names(self) -> tuple[str, ...]:
        return logger_names(self.loggers)

    def validate(self) -> None:
        require(self.lr > 0, f"--lr must be positive, got {self.lr}")
        require(self.lr <= MAX_LR, f"--lr must be at most {MAX_LR:g}, got {self.lr}")
        require(self.momentum >= 0 and self.momentum < 1, f"--momentum must be in [0, 1), got {self.momentum}")
        require(self.weight_decay >= 0, f"--weight_decay must be >= 0, got {self.weight_decay}")
        require(0 < self.gamma <= 1, f"--gamma must be in (0, 1] (a decay), got {self.gamma}")
        require(self.weight_decay < 1, f"--weight_decay must be < 1, got {self.weight_decay}")
        require(0 <= self.label_smoothing < 1, f"--label_smoothing must be in [0, 1), got {self.label_smoothing}")
        require(not self.nesterov or self.momentum > 0, "--nesterov needs --momentum > 0")
        validate_step_string(self.training_steps, "--training_steps")
        require(self.train_eval_every >= 0, f"--train_eval_every must be >= 0, got {self.train_eval_every}")
        require(self.eval_batch_size is None or self.eval_batch_size >= 1,
                f"--eval_batch_size must be positive, got {self.eval_batch_size}")
        validate_step_string(self.warmup_steps, "--warmup_steps")
        parse_step_list(self.milestone_steps, "--milestone_steps")
        from sparselab.train.loggers import require_package

        for name in self.logger_names:
            require(name in LOGGERS, f"--loggers: unknown logger {name!r} (known: {', '.join(LOGGERS)})")
            require_package(f"loggers={name}", name)
        if self.regain_pruned_weights_steps is not None:
            validate_step_string(self.regain_pruned_weights_steps, "--regain_pruned_weights_steps")

    def validate_steps(self, iterations_per_epoch: int) -> None:
        check_schedule(self.training_steps, self.warmup_steps if self.given("warmup_steps") else None,
                       self.milestone_steps if self.given("milestone_steps") else None, iterations_per_epoch)
        if self.regain_pruned_weights_steps is not None:
            end = parse_iterations(self.training_steps, iterations_per_epoch)
            regain = parse_iterations(self.regain_pruned_weights_steps, iterations_per_epoch)
            require(regain < end, f"--regain_pruned_weights_steps={self.regain_pruned_weights_steps} is not before "
                                  f"the end of training ({self.training_steps})")

# Fields of the training bundle that only the retrain branch offers (its re-dense training, with the
# branch's prefix): the trunk commands and `train` have no such flag.
REDENSE_ONLY = {"regain_pruned_weights_steps": "re-dense training is a branch: use lottery_branch retrain "
                                               "(or train_branch retrain) --retrain_t_regain_pruned_weights_steps"}
