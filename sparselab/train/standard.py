"""Train one network in one job directory: the piece every runner (train, levels, branches) calls."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from sparselab.core import layout
from sparselab.core import io as fio
from sparselab.core.hparams import Hparams
from sparselab.platforms.base import Platform
from sparselab.train.data import PreparedData
from sparselab.train.evaluate import eval_batch_size, prediction_digest
from sparselab.train.hparams import TrainingHparams
from sparselab.train import loop
from sparselab.train.loop import CHECKPOINT_FILE, TrainSetup
from sparselab.train.metrics import PREDICTIONS_DIGEST, MetricLog
from sparselab.train.steps import Schedule

WEIGHTS_START = layout.WEIGHTS_START
WEIGHTS_FINAL = layout.WEIGHTS_FINAL


@dataclass
class Environment:

    platform: Platform
    data: PreparedData
    replicate: int
    verbose: bool = True
    _eval_batch: dict[tuple[str, bool], int] = field(default_factory=dict, repr=False)

    @property
    def device(self) -> torch.device:
        return self.platform.device

    def eval_batch_size(self, model: torch.nn.Module, channels_last: bool, hparams: TrainingHparams) -> int:
        """--eval_batch_size, else the per-device choice for this architecture (measured once per run)."""
        if hparams.eval_batch_size is not None:
            return hparams.eval_batch_size
        key = (type(model).__name__ + str(sum(p.numel() for p in model.parameters())), channels_last)
        if key not in self._eval_batch:
            self._eval_batch[key] = eval_batch_size(model, self.data.input_shape, self.device, channels_last)
        return self._eval_batch[key]

    def schedule(self, *bundles: Hparams | None) -> Schedule:
        return Schedule.resolve(self.data.iterations_per_epoch(), *bundles)

    def end_iteration(self, hparams: TrainingHparams) -> int:
        return self.schedule(hparams).end


def uses_channels_last(model: torch.nn.Module, device: torch.device) -> bool:
    """channels_last for convolutional models on GPUs and CPUs (measured on this CPU with oneDNN:
    cifar_resnet_20 trains ~30 % faster, cifar_vgg_16 evaluates ~35 % faster and trains as fast)."""
    return device.type in ("cuda", "cpu") and any(isinstance(m, torch.nn.Conv2d) for m in model.modules())


def train_in_directory(directory: Path, model: torch.nn.Module, env: Environment, hparams: TrainingHparams, *,
                       summary: Callable[[torch.nn.Module], dict[str, Any]] | None = None,
                       keep_optimizer: bool = False, **setup: Any) -> dict[str, Any]:
    """Train `model` (already masked) in `directory`; `summary(model)` adds to done.json's result."""
    job = train_setup(directory, model, env, hparams, **setup)
    return finish_training(job, loop.train(job), summary, keep_optimizer)


def train_setup(directory: Path, model: torch.nn.Module, env: Environment, hparams: TrainingHparams, *,
                start_iteration: int = 0, end_iteration: int | None = None, hooks: Sequence[Any] = (),
                log_prefix: str = "", rest_of_run: Callable[[float], float] | None = None,
                optimizer_start: dict[str, Any] | None = None) -> TrainSetup:
    """The loop's job, to the end of `hparams` or to `end_iteration` (a pretraining job's rewind point)."""
    directory = Path(directory)
    device = env.device
    channels_last = _prepare(directory, model, env)
    loader = env.data.train_loader(hparams, env.replicate, device, channels_last,
                                   rank=env.platform.rank, world_size=env.platform.world_size)
    batch = env.eval_batch_size(model, channels_last, hparams)
    return TrainSetup(
        model=model, hparams=hparams, train_loader=loader, out_dir=directory, device=device,
        test_batches=env.data.eval_batches("test", device, channels_last, batch), start_iteration=start_iteration,
        end_iteration=env.end_iteration(hparams) if end_iteration is None else end_iteration,
        hooks=list(hooks),
        train_eval_batches=env.data.eval_batches("train", device, channels_last, batch)
        if (hparams.eval_train or env.data.corrupted is not None) else None,
        true_labels=env.data.true_labels, corrupted=env.data.changed,
        verbose=env.verbose, log_prefix=log_prefix, rest_of_run=rest_of_run,
        checkpoint_seconds=getattr(getattr(env.platform, "hparams", None), "checkpoint_seconds",
                                   TrainSetup.checkpoint_seconds),
        is_primary=env.platform.is_primary,
        reduce=getattr(env.platform, "all_reduce_sum", None),
        train_model=env.platform.wrap_model(model) if hasattr(env.platform, "wrap_model") else None,
        optimizer_start=optimizer_start,
    )


def finish_training(setup: TrainSetup, log: MetricLog,
                    summary: Callable[[torch.nn.Module], dict[str, Any]] | None = None,
                    keep_optimizer: bool = False) -> dict[str, Any]:
    model = setup.model
    if setup.is_primary:
        fio.save_torch(setup.out_dir / WEIGHTS_FINAL, cpu_state(model))
        if keep_optimizer:
            fio.save_torch(setup.out_dir / layout.OPTIMIZER_FINAL, setup.final_optimizer_state)
    result = summarize(log, setup.end_iteration)
    result[PREDICTIONS_DIGEST] = setup.final_predictions_digest or \
        prediction_digest(model, setup.test_batches(), setup.hparams.precision)  # resumed at the end: no evaluation ran
    if summary is not None:
        result.update(summary(model))
    return result


def _prepare(directory: Path, model: torch.nn.Module, env: Environment) -> bool:
    """Move `model` to the device (returns whether channels_last), save the start files once."""
    channels_last = uses_channels_last(model, env.device)
    model.to(env.device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if env.platform.is_primary and not (directory / WEIGHTS_START).exists():
        fio.save_torch(directory / WEIGHTS_START, cpu_state(model))
    if env.platform.is_primary:
        env.data.save_noise_record(directory)
    return channels_last


def cpu_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in model.state_dict().items()}


def summarize(log: MetricLog, end_iteration: int) -> dict[str, Any]:
    final = log.rows[-1]
    best = log.best("test_accuracy") or final
    out: dict[str, Any] = {
        "final_test_accuracy": final["test_accuracy"], "final_test_loss": final["test_loss"],
        "final_test_top_prediction_fraction": final.get("test_top_prediction_fraction"),
        "best_test_accuracy": best["test_accuracy"], "best_iteration": best["iteration"], "iterations": end_iteration,
        "wall_seconds": final.get("wall_seconds", 0.0), "images_per_second": final.get("images_per_second")}
    for key, value in final.items():
        if key.startswith("train_") and key != "train_loss":
            out[f"final_{key}"] = value
    if "train_loss" in final:
        out["final_train_loss"] = final["train_loss"]
    return out


def remove_checkpoint(directory: Path) -> None:
    (Path(directory) / CHECKPOINT_FILE).unlink(missing_ok=True)


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    return fio.load_torch(path)
