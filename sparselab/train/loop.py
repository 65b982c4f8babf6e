"""The one training loop. The lr is a function of the absolute iteration and each epoch's data of (seed, epoch),
and the checkpoint holds every state, so a resumed run is bit-identical (on the CPU) to an uninterrupted one.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import torch
import torch.nn.functional as F

from sparselab.core.errors import JobFailed
from sparselab.train import checkpoint
from sparselab.train.checkpoint import CHECKPOINT_FILE
from sparselab.train.evaluate import digest_of, evaluate, predict, prediction_metrics
from sparselab.train.hparams import TrainingHparams
from sparselab.train.metrics import MetricLog
from sparselab.train.optimizers import LearningRateSchedule, build_optimizer, set_learning_rate
from sparselab.train.precision import autocast, grad_scaler
from sparselab.train.progress import Cadence, Progress
from sparselab.train.signals import held_signals


class BaseHook:
    """A hook acts on the model around optimiser steps (masks, re-dense switch, DST); these are no-ops."""

    def on_start(self, model, optimizer, iteration) -> None:
        pass

    def before_optimizer_step(self, model, optimizer, iteration) -> None:
        pass

    def after_optimizer_step(self, model, optimizer, iteration) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def metrics(self) -> dict[str, Any]:
        return {}


@dataclass
class TrainSetup:
    model: torch.nn.Module
    hparams: TrainingHparams
    train_loader: Any  # datasets.loader.TrainLoader: iterations_per_epoch, batch_size, num_examples, epoch()
    test_batches: Callable[[], Iterable[tuple[torch.Tensor, torch.Tensor]]]
    out_dir: Path
    device: torch.device
    start_iteration: int
    end_iteration: int
    hooks: list[Any] = field(default_factory=list)
    train_eval_batches: Callable[[], Iterable[tuple[torch.Tensor, torch.Tensor]]] | None = None
    true_labels: torch.Tensor | None = None
    corrupted: torch.Tensor | None = None
    verbose: bool = True
    checkpoint_seconds: float = 600.0  # --checkpoint_seconds (Cadence)
    log_prefix: str = ""
    reduce: Callable[[torch.Tensor], torch.Tensor] | None = None  # all-reduce for data parallelism
    loggers: Any = None  # training.loggers.Loggers with --loggers (set by `train`)
    is_primary: bool = True
    train_model: torch.nn.Module | None = None  # e.g. the DDP wrapper; defaults to `model`
    rest_of_run: Callable[[float], float] | None = None  # job's total seconds -> seconds of the jobs after it
    progress: Progress | None = None  # set by `train`
    final_predictions_digest: str | None = None  # set by `train` at its last evaluation (evaluate.digest_of)
    optimizer_start: dict[str, Any] | None = None  # state a fresh start loads (a level carrying its predecessor's)
    final_optimizer_state: dict[str, Any] | None = None  # set by `train` when it returns


TRAIN_EVAL_POINTS = 20  # label noise without --eval_train: about this many training-set evaluations per run


def train_eval_due(s: TrainSetup, iteration: int, ipe: int) -> bool:
    """Start, end, every --train_eval_every epochs; default: every epoch with --eval_train (SDD), else
    ~TRAIN_EVAL_POINTS times under label noise (each costs a pass over the training set)."""
    if s.train_eval_batches is None:
        return False
    if iteration in (s.start_iteration, s.end_iteration) or iteration % ipe:
        return True
    every = s.hparams.train_eval_every or (1 if s.hparams.eval_train else
                                           max(1, math.ceil(s.end_iteration / ipe / TRAIN_EVAL_POINTS)))
    return (iteration // ipe) % every == 0


def train(setup: TrainSetup) -> MetricLog:
    s = setup
    model, forward_model, optimizer, scaler, schedule, ipe = _open(s)
    log, running = MetricLog(), {"loss_sum": 0.0, "examples": 0, "seconds": 0.0, "images": 0}
    try:
        iteration, inputs = _begin(s, model, optimizer, scaler, schedule, log, running, ipe)
        loss_sum, examples = _open_sum(s, running), 0
        cadence = Cadence(s.checkpoint_seconds)
        segment_start, saved = time.perf_counter(), iteration
        world_size = getattr(s.train_loader, "world_size", 1)
        forward_model.train()
        with held_signals(enabled=world_size == 1) as signals:
            while iteration < s.end_iteration:
                ep, it = divmod(iteration, ipe)
                for x, y in s.train_loader.epoch(ep, it):
                    summed = _step(s, model, forward_model, optimizer, scaler, schedule(iteration), iteration, x,
                                   y, world_size)
                    loss_sum += summed.detach().float()
                    examples += y.shape[0]
                    iteration += 1
                    if s.verbose and s.is_primary and iteration % ipe and iteration != s.end_iteration and \
                            s.progress.due():
                        _print_step(s, iteration, loss_sum, examples, running, time.perf_counter() - segment_start)
                    ends = iteration == s.end_iteration
                    at_point = iteration % ipe == 0 or ends
                    pause = ends and iteration < schedule.total  # stops before its schedule's end: continued from here
                    save = pause or bool(signals.pending) or cadence.checkpoint_due(at_point, ends)
                    saved = iteration if save else saved
                    if at_point or save:
                        _close_segment(s, iteration, loss_sum, examples, running, time.perf_counter() - segment_start)
                        if at_point:
                            _log_point(s, log, iteration, ipe, schedule, running)
                            running.update(loss_sum=0.0, examples=0)
                        loss_sum, examples = _open_sum(s, running), 0
                        _write(s, cadence, save, iteration, model, optimizer, scaler, log, running, inputs)
                        signals.release()  # a held SIGTERM/SIGINT raises here, after its checkpoint
                        segment_start = time.perf_counter()
                        forward_model.train()
                    if at_point:
                        break
            if signals.pending and saved != iteration:  # a signal after the end's write: the end is checkpointed
                _write(s, cadence, True, iteration, model, optimizer, scaler, log, running, inputs)
            signals.release()
        s.final_optimizer_state = optimizer.state_dict()
        return log
    finally:
        if s.loggers is not None:
            s.loggers.close()


def _open(s: TrainSetup) -> tuple[torch.nn.Module, torch.nn.Module, Any, Any, LearningRateSchedule, int]:
    """(model, forward module (a DDP wrapper), optimiser, scaler, schedule, ipe); sets progress and loggers."""
    h = s.hparams
    ipe = s.train_loader.iterations_per_epoch
    model = s.model
    forward_model = s.train_model if s.train_model is not None else model
    optimizer, scaler = build_optimizer(model, h), grad_scaler(s.device, h.precision)
    schedule = LearningRateSchedule(h, ipe)
    s.progress = Progress(s.start_iteration, s.end_iteration, ipe, s.log_prefix, rest_of_run=s.rest_of_run,
                          checkpoint_every=s.checkpoint_seconds)
    if h.logger_names and s.is_primary:
        from sparselab.train.loggers import Loggers

        s.loggers = Loggers(s.out_dir, "tensorboard" in h.logger_names, h if "wandb" in h.logger_names else None)
    return model, forward_model, optimizer, scaler, schedule, ipe


def _step(s: TrainSetup, model, forward_model, optimizer, scaler, lr: float, iteration: int, x: torch.Tensor,
          y: torch.Tensor, world_size: int) -> torch.Tensor:
    h = s.hparams
    set_learning_rate(optimizer, lr)
    optimizer.zero_grad(set_to_none=True)
    with autocast(s.device, h.precision):
        summed = F.cross_entropy(forward_model(x), y, label_smoothing=h.label_smoothing, reduction="sum")
    # This rank's share of the mean over the GLOBAL batch, times world_size because DDP averages
    # gradients over ranks: exact for unequal shards, and 0 (not NaN) for an empty one.
    loss = summed.float() * (world_size / _global_batch(s.train_loader, iteration))
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
    else:
        loss.backward()
    for hook in s.hooks:
        hook.before_optimizer_step(model, optimizer, iteration)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    for hook in s.hooks:
        hook.after_optimizer_step(model, optimizer, iteration)
    return summed


def _open_sum(s: TrainSetup, running: dict[str, Any]) -> torch.Tensor:
    """In one process the sum goes on from the last point's (float32, exact in the checkpoint), so a mid-epoch
    resume never regroups it: train_loss is bit-identical. Across ranks a segment starts from zero."""
    start = running["loss_sum"] if s.reduce is None else 0.0
    return torch.tensor(start, dtype=torch.float32, device=s.device)


def _close_segment(s: TrainSetup, iteration: int, loss_sum: torch.Tensor, examples: int, running: dict[str, Any],
                   seconds: float) -> None:
    segment_loss, segment_examples = _reduce_sums(s, loss_sum, examples)
    if s.reduce is None:
        running["loss_sum"] = segment_loss  # the accumulator went on from it (`_open_sum`)
    else:
        running["loss_sum"] += segment_loss
    running["examples"] += segment_examples
    running["seconds"] += seconds
    running["images"] += segment_examples
    if not math.isfinite(running["loss_sum"]):
        raise JobFailed(f"training loss became {running['loss_sum']} at iteration {iteration} "
                        f"in {s.out_dir}; lower --lr or check the data")


def _write(s: TrainSetup, cadence: Cadence, save: bool, iteration: int, model, optimizer, scaler, log: MetricLog,
           running: dict[str, Any], inputs: dict[str, str]) -> None:
    if s.is_primary and (save or iteration == s.end_iteration or cadence.metrics_due()):
        log.save(s.out_dir)
        cadence.metrics_written()
    if save:
        if s.is_primary:
            saving = time.perf_counter()
            checkpoint.save(s.out_dir / CHECKPOINT_FILE, iteration, model, optimizer, scaler, s.hooks, log, running,
                            inputs)
            s.progress.add_checkpoint(time.perf_counter() - saving)
        cadence.checkpointed()


def _begin(s: TrainSetup, model, optimizer, scaler, schedule: LearningRateSchedule, log: MetricLog,
           running: dict[str, Any], ipe: int) -> tuple[int, Any]:
    checkpoint_path = s.out_dir / CHECKPOINT_FILE
    if checkpoint_path.exists():
        iteration, inputs = checkpoint.resume(checkpoint_path, s.device, model, optimizer, scaler, s.hooks, log,
                                              running)
        if s.is_primary:
            log.save(s.out_dir)  # metrics.csv is the checkpoint's log again, whatever was on disk
        if s.verbose and s.is_primary:
            print(f"{s.log_prefix}resuming from {checkpoint_path} at iteration {iteration}", flush=True)
        return iteration, inputs
    inputs = checkpoint.input_digests(s.out_dir)
    if s.optimizer_start is not None:  # a checkpoint (above) already holds what this state became
        optimizer.load_state_dict(s.optimizer_start)
    for hook in s.hooks:
        hook.on_start(model, optimizer, s.start_iteration)
    _log_point(s, log, s.start_iteration, ipe, schedule, running)
    return s.start_iteration, inputs


def _print_step(s: TrainSetup, iteration: int, loss_sum: torch.Tensor, examples: int, running: dict[str, Any],
                segment_seconds: float) -> None:
    assert s.progress is not None
    since_point = examples + (running["examples"] if s.reduce is None else 0)  # what `loss_sum` covers
    loss = float(loss_sum.item()) / since_point if since_point else None
    print(s.progress.step_line(iteration, loss, running["images"] + examples, running["seconds"] + segment_seconds,
                               s.train_loader.batch_size), flush=True)


def _global_batch(loader: Any, iteration: int) -> int:
    it = iteration % loader.iterations_per_epoch
    return min(loader.batch_size, loader.num_examples - it * loader.batch_size)


def _reduce_sums(s: TrainSetup, loss_sum: torch.Tensor, examples: int) -> tuple[float, int]:
    if s.reduce is None:
        return float(loss_sum.item()), examples
    both = torch.stack([loss_sum.double(), torch.tensor(float(examples), device=loss_sum.device).double()])
    both = s.reduce(both)
    return float(both[0].item()), int(both[1].item())


def _log_point(s: TrainSetup, log: MetricLog, iteration: int, ipe: int, schedule: LearningRateSchedule,
               running: dict[str, Any]) -> None:
    h = s.hparams
    row: dict[str, Any] = {"iteration": iteration, "epoch": round(iteration / ipe, 4),
                           "lr": schedule(max(iteration - 1, 0))}
    if running["examples"]:
        row["train_loss"] = running["loss_sum"] / running["examples"]
    evaluating = time.perf_counter()
    pred, losses, labels = predict(s.model, s.test_batches(), h.precision)
    row.update(prediction_metrics(pred, losses, labels, "test"))
    if iteration == s.end_iteration:
        s.final_predictions_digest = digest_of(pred)  # done.json's, without another pass
    if s.train_eval_batches is not None and train_eval_due(s, iteration, ipe):
        row.update(evaluate(s.model, s.train_eval_batches(), "train", h.precision, s.true_labels, s.corrupted))
    assert s.progress is not None
    s.progress.add_eval(time.perf_counter() - evaluating)
    for hook in s.hooks:
        row.update(hook.metrics())
    if running["seconds"] > 0:
        row["images_per_second"] = running["images"] / running["seconds"]
    row["wall_seconds"] = running["seconds"]
    log.add(row)
    if s.loggers is not None:
        s.loggers.log(row, iteration)
    if s.verbose and s.is_primary:
        print(s.progress.point_line(row, iteration, running, s.train_loader.batch_size), flush=True)
