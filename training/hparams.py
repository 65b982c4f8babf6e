"""The training bundle: optimiser, schedule, length, seeds of data order and augmentation."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from foundations.hparams import Hparams, hparam, require
from foundations.step import parse_step_list, validate_step_string


@dataclasses.dataclass(frozen=True)
class TrainingHparams(Hparams):
    _group: ClassVar[str] = "Training"
    optimizer_name: str = hparam("sgd", "optimiser", choices=("sgd", "adam", "adamw"))
    lr: float = hparam(0.1, "base learning rate")
    training_steps: str = hparam("40ep", "length of training: 160ep, 1000it, 2ep100it")
    momentum: float = hparam(0.0, "SGD momentum (Adam: beta1 stays default)")
    nesterov: bool = hparam(False, "Nesterov momentum (SGD)")
    weight_decay: float = hparam(0.0, "L2 weight decay (decoupled for adamw)")
    milestone_steps: str = hparam("", "comma list of steps where the lr is multiplied by gamma")
    gamma: float = hparam(0.1, "lr factor at each milestone")
    warmup_steps: str = hparam("0ep", "linear warm-up length")
    schedule: str = hparam("step", "lr schedule after warm-up", choices=("step", "cosine"))
    label_smoothing: float = hparam(0.0, "label smoothing of the cross-entropy loss")
    precision: str = hparam("fp32", "arithmetic precision (changes results, so it is hashed)",
                            choices=("fp32", "bf16", "fp16"))
    data_order_seed: int | None = hparam(None, "seed of the data order (default: derived from the replicate)")
    augmentation_seed: int | None = hparam(None, "seed of augmentation (default: derived from the replicate)")
    regain_pruned_weights_steps: str | None = hparam(
        None, "re-dense training: at this step every pruned weight comes back at 0 and trains densely "
              "(the retrain branch only: --retrain_t_regain_pruned_weights_steps)")
    eval_train: bool = hparam(False, "also evaluate on the training set every epoch", hashed=False)
    tensorboard: bool = hparam(False, "also log the metrics to <job>/tensorboard (needs the tensorboard package)",
                               hashed=False)

    def validate(self) -> None:
        require(self.lr > 0, f"--lr must be positive, got {self.lr}")
        require(self.momentum >= 0 and self.momentum < 1, f"--momentum must be in [0, 1), got {self.momentum}")
        require(self.weight_decay >= 0, f"--weight_decay must be >= 0, got {self.weight_decay}")
        require(self.gamma > 0, f"--gamma must be positive, got {self.gamma}")
        require(0 <= self.label_smoothing < 1, f"--label_smoothing must be in [0, 1), got {self.label_smoothing}")
        require(not self.nesterov or self.momentum > 0, "--nesterov needs --momentum > 0")
        validate_step_string(self.training_steps, "--training_steps")
        validate_step_string(self.warmup_steps, "--warmup_steps")
        parse_step_list(self.milestone_steps, "--milestone_steps")
        if self.tensorboard:
            import importlib.util

            require(importlib.util.find_spec("tensorboard") is not None,
                    "--tensorboard needs the tensorboard package: pip install tensorboard")
        if self.regain_pruned_weights_steps is not None:
            validate_step_string(self.regain_pruned_weights_steps, "--regain_pruned_weights_steps")

    def inapplicable(self) -> dict[str, str]:
        moot = {}
        if not self.milestone_steps.strip():
            moot["gamma"] = "the lr is multiplied by gamma only at --milestone_steps, and none are given"
        if self.optimizer_name != "sgd":
            moot["nesterov"] = f"Nesterov momentum is an SGD option (--optimizer_name={self.optimizer_name})"
        return moot


# Where the trunk commands and `train` take the training bundle: only the retrain branch re-densifies.
REDENSE_ONLY = {"regain_pruned_weights_steps": "re-dense training is a branch: use lottery_branch retrain "
                                               "(or train_branch retrain) --retrain_t_regain_pruned_weights_steps"}
