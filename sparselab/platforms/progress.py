"""A sweep's live lines, read from its jobs' growing logs: one per job at its start, at each new level and at most
every `PROGRESS_SECONDS` otherwise, e.g.
`job 3/8 [init_density=0.1 replicate 1] level 2/5  it 40/92  ETA 0:00:12, job 0:01:10; sweep 0:04:00`."""
from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

PROGRESS_SECONDS = 30.0  # the most often one job's line repeats without a new level
_LEVEL = re.compile(r"^\[level (\d+/\d+)\]")
_STEP = re.compile(r"\b(it \d+/\d+|ep +[\d.]+/[\d.]+)")
_ETA = re.compile(r"\bETA (\d+:\d\d:\d\d)(?: \(run (\d+:\d\d:\d\d)\))?")


def seconds(clock: str) -> float:
    hours, minutes, secs = (int(part) for part in clock.split(":"))
    return 3600.0 * hours + 60.0 * minutes + secs


def clock(value: float) -> str:
    value = max(0, int(round(value)))
    return f"{value // 3600}:{value // 60 % 60:02d}:{value % 60:02d}"


@dataclasses.dataclass
class JobProgress:
    log: Path
    offset: int = 0
    partial: str = ""
    level: str | None = None
    step: str | None = None
    eta: str | None = None  # of the current level (a trunk) or of the job
    job_eta: str | None = None  # of the whole job (a trunk's "run" ETA)
    new_level: bool = False
    changed: bool = False

    def read(self) -> None:
        if not self.log.exists():
            return
        with open(self.log, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        self.offset += len(data)
        text = self.partial + data.decode(errors="replace")
        *lines, self.partial = text.replace("\r", "\n").split("\n")
        for line in lines:
            self.take(line)

    def take(self, line: str) -> None:
        level = _LEVEL.match(line)
        if level and level.group(1) != self.level:
            self.level, self.new_level, self.eta, self.job_eta = level.group(1), True, None, None
        step = _STEP.search(line)
        eta = _ETA.search(line)
        if step and (level or not self.level):
            self.step, self.changed = step.group(1), True
        if eta:
            self.eta, self.job_eta = eta.group(1), eta.group(2) or eta.group(1)

    def remaining(self) -> float | None:
        return seconds(self.job_eta) if self.job_eta else None


class SweepProgress:
    """Prints the live lines of a sweep of `total` jobs run by `workers` processes."""

    def __init__(self, total: int, workers: int, interval: float = PROGRESS_SECONDS) -> None:
        self.total, self.workers, self.interval = total, workers, interval
        self.jobs: dict[int, JobProgress] = {}
        self.labels: dict[int, str] = {}
        self.started_at: dict[int, float] = {}
        self.printed_at: dict[int, float] = {}
        self.durations: list[float] = []

    def started(self, index: int, label: str, log: Path) -> None:
        self.jobs[index], self.labels[index] = JobProgress(log), label
        self.started_at[index] = self.printed_at[index] = time.monotonic()
        print(f"job {index + 1}/{self.total} started: {label}", flush=True)

    def finished(self, index: int) -> float:
        """The job's duration; it leaves the live lines."""
        took = time.monotonic() - self.started_at.pop(index)
        self.durations.append(took)
        self.jobs.pop(index, None)
        return took

    def poll(self, pending: int) -> None:
        """Read every running job's log; print a line for each job with a new level, or news after `interval`."""
        now = time.monotonic()
        for index, job in sorted(self.jobs.items()):
            job.read()
            due = job.changed and now - self.printed_at[index] >= self.interval
            if job.new_level or due:
                print(self.line(index, job, pending), flush=True)
                job.new_level = job.changed = False
                self.printed_at[index] = now

    def line(self, index: int, job: JobProgress, pending: int) -> str:
        words = [f"job {index + 1}/{self.total} [{self.labels[index]}]"]
        if job.level:
            words.append(f"level {job.level}")
        if job.step:
            words.append(job.step)
        if job.eta:
            detail = f", job {job.job_eta}" if job.level and job.job_eta else ""
            words.append(f"ETA {job.eta}{detail}")
        sweep = self.sweep_eta(pending)
        return "  ".join(words) + (f"; sweep {clock(sweep)}" if sweep is not None else "")

    def sweep_eta(self, pending: int) -> float | None:
        """Seconds until the sweep ends: the running jobs' own ETAs plus the pending jobs, each as long
        as the mean finished job (or the running ones' estimated length), shared by the workers."""
        now = time.monotonic()
        lengths = self.durations or [now - self.started_at[i] + (j.remaining() or 0.0)
                                     for i, j in self.jobs.items() if j.remaining() is not None]
        if not lengths:
            return None
        mean = sum(lengths) / len(lengths)
        running = [j.remaining() if j.remaining() is not None else max(0.0, mean - (now - self.started_at[i]))
                   for i, j in self.jobs.items()]
        return (sum(running) + pending * mean) / max(1, min(self.workers, len(running) + pending))

