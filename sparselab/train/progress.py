"""Progress lines and ETA: remaining steps, evaluation points and checkpoints, each at its measured cost;
`rest_of_run` (a lottery's later levels) adds the whole run's ETA."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

PROGRESS_SECONDS = 5.0  # a mid-epoch progress line at most this often
METRICS_SECONDS = 30.0  # metrics.csv rewritten at most this often between checkpoints
END_CHECKPOINT_SECONDS = 60.0  # the end of a job is checkpointed when this much training is unsaved


class Cadence:
    """When the loop writes a checkpoint (`checkpoint_seconds` after the last; 0: every epoch end) and
    metrics.csv (with each checkpoint, else METRICS_SECONDS after the last): iterative runs' cost is writes."""

    def __init__(self, checkpoint_seconds: float) -> None:
        self.checkpoint_seconds = checkpoint_seconds
        self.last_checkpoint = self.last_metrics = time.monotonic()

    def checkpoint_due(self, at_epoch_end: bool, at_end: bool = False) -> bool:
        """At the end (done.json deletes it) only after END_CHECKPOINT_SECONDS of unsaved training."""
        if self.checkpoint_seconds <= 0:
            return at_epoch_end
        since = time.monotonic() - self.last_checkpoint
        return since >= (min(self.checkpoint_seconds, END_CHECKPOINT_SECONDS) if at_end else self.checkpoint_seconds)

    def checkpointed(self) -> None:
        self.last_checkpoint = time.monotonic()

    def metrics_due(self) -> bool:
        return time.monotonic() - self.last_metrics >= METRICS_SECONDS

    def metrics_written(self) -> None:
        self.last_metrics = time.monotonic()


def clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def eval_points(start: int, end: int, ipe: int) -> int:
    """Evaluation points in (start, end]: every epoch boundary, and the end."""
    if end <= start:
        return 0
    return end // ipe - start // ipe + (1 if end % ipe else 0)


@dataclass
class Progress:
    start_iteration: int
    end_iteration: int
    ipe: int
    prefix: str = ""
    every_seconds: float = PROGRESS_SECONDS
    rest_of_run: Callable[[float], float] | None = None  # job's estimated total seconds -> seconds after it
    checkpoint_every: float = 0.0  # --checkpoint_seconds (0: a checkpoint at every evaluation point)
    eval_seconds: list[float] = field(default_factory=list)
    checkpoint_seconds: list[float] = field(default_factory=list)
    last_line: float = field(default_factory=time.monotonic)

    def add_eval(self, seconds: float) -> None:
        self.eval_seconds.append(seconds)

    def add_checkpoint(self, seconds: float) -> None:
        self.checkpoint_seconds.append(seconds)

    def due(self) -> bool:
        now = time.monotonic()
        if now - self.last_line < self.every_seconds:
            return False
        self.last_line = now
        return True

    def eta(self, iteration: int, seconds_per_iteration: float) -> tuple[float, float]:
        """(seconds left in this job, estimated total seconds of the job from its start iteration)."""
        ev = _mean(self.eval_seconds)
        ck = _mean(self.checkpoint_seconds)
        left = eval_points(iteration, self.end_iteration, self.ipe)
        steps_left = (self.end_iteration - iteration) * seconds_per_iteration
        remaining = steps_left + left * ev + self._checkpoints(left, steps_left) * ck
        points = eval_points(self.start_iteration, self.end_iteration, self.ipe)
        steps = (self.end_iteration - self.start_iteration) * seconds_per_iteration
        total = steps + (points + 1) * ev + self._checkpoints(points, steps) * ck
        return remaining, total

    def _checkpoints(self, points: int, step_seconds: float) -> int:
        """Checkpoints still to write: one per point, or the end plus one per checkpoint_every."""
        if self.checkpoint_every <= 0 or points == 0:
            return points
        return 1 + int(step_seconds // self.checkpoint_every)

    def eta_text(self, iteration: int, seconds_per_iteration: float) -> str:
        remaining, total = self.eta(iteration, seconds_per_iteration)
        text = f"ETA {clock(remaining)}"
        if self.rest_of_run is not None:
            text += f" (run {clock(remaining + self.rest_of_run(total))})"
        return text

    def epoch_text(self, iteration: int) -> str:
        """`ep 1.50/3`; `ep 1.50/2.50` for a fractional end; `it 7/20` for a run shorter than an epoch."""
        if self.end_iteration < self.ipe:
            return f"{self.prefix}it {iteration}/{self.end_iteration}"
        end = self.end_iteration / self.ipe
        return f"{self.prefix}ep {iteration / self.ipe:6.2f}/{end:.0f}" if self.end_iteration % self.ipe == 0 \
            else f"{self.prefix}ep {iteration / self.ipe:6.2f}/{end:.2f}"

    def point_line(self, row: dict[str, Any], iteration: int, running: dict[str, Any], batch_size: int) -> str:
        self.last_line = time.monotonic()
        parts = [self.epoch_text(iteration)]
        if "train_loss" in row:
            parts.append(f"loss {row['train_loss']:.4f}")
        parts.append(f"test_acc {100 * row['test_accuracy']:6.2f}%")
        if "train_accuracy" in row:
            parts.append(f"train_acc {100 * row['train_accuracy']:6.2f}%")
        if row.get("train_noisy_accuracy") is not None:
            parts.append(f"clean {100 * row['train_clean_accuracy']:6.2f}% noisy(memorised) "
                         f"{100 * row['train_noisy_accuracy']:6.2f}%")
        if running["seconds"] > 0:
            parts.append(f"{running['images'] / running['seconds']:8.0f} img/s")
            parts.append(self.eta_text(iteration, running["seconds"] / max(1, running["images"]) * batch_size))
        return "  ".join(parts)

    def step_line(self, iteration: int, loss: float | None, images: int, seconds: float, batch_size: int) -> str:
        parts = [self.epoch_text(iteration)]
        if self.end_iteration >= self.ipe:
            parts.append(f"it {iteration % self.ipe}/{self.ipe}")
        if loss is not None:
            parts.append(f"loss {loss:.4f}")
        if seconds > 0 and images > 0:
            parts.append(f"{images / seconds:8.0f} img/s")
            parts.append(self.eta_text(iteration, seconds / images * batch_size))
        return "  ".join(parts)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
