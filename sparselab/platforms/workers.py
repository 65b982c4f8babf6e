"""`--workers=N`: independent jobs as `python -m sparselab` processes here, cores split between them (unless
--threads is typed), one GPU each or `--workers_per_gpu` per GPU. Jobs that meet wait on their lock
(`train/job.run_once`); a failed job does not stop the others. Logs: `<root>/sweep_logs/<run>/job_<i>.log`."""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Sequence

from sparselab.core import plugins
from sparselab.core.errors import JobFailed, UsageError
from sparselab.platforms.base import available_cpus
from sparselab.platforms.grid import Job

PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # the folder holding this package (a checkout, or installed)
LOG_FOLDER = "sweep_logs"
POLL_SECONDS = 0.2
PROGRESS_SECONDS = 30.0  # the most often one job's line repeats without a new level
_LEVEL = re.compile(r"^\[level (\d+/\d+)\]")
_STEP = re.compile(r"\b(it \d+/\d+|ep +[\d.]+/[\d.]+)")
_ETA = re.compile(r"\bETA (\d+:\d\d:\d\d)(?: \(run (\d+:\d\d:\d\d)\))?")


def threads_per_worker(workers: int, typed: str | None, cpus: int | None = None) -> int | None:
    """The --threads each worker gets: the typed value, else an equal share of the cores (>= 1)."""
    if typed is not None:
        return None  # kept as typed on every job's command line
    return max(1, (cpus or available_cpus()) // workers)


def devices_per_worker(workers: int, per_gpu: int | None, device: str | None,
                       gpus: int | None = None) -> list[str | None]:
    """`--device` of each worker slot (None: as typed). GPUs are shared only when --workers_per_gpu says so."""
    device = (device or "auto").strip().lower()
    if device == "cpu":
        return [None] * workers
    if gpus is None:
        import torch

        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if device.startswith("cuda:") or device == "mps" or (device == "cuda" and gpus == 0):
        targets = [device]  # one device named: every worker on it (resolve_device checks it exists)
    elif gpus == 0:
        return [None] * workers  # auto on a CPU machine (or MPS): threads split, device as typed
    else:
        targets = [f"cuda:{g}" for g in range(gpus)]
    share = per_gpu or 1
    if workers > share * len(targets):
        raise UsageError(f"--workers={workers} needs {-(-workers // share)} GPU(s) at --workers_per_gpu={share}; "
                         f"this machine offers {len(targets)} ({', '.join(targets)}): give --workers_per_gpu="
                         f"{-(-workers // len(targets))} to share them, or --device=cpu")
    return [targets[slot // share] for slot in range(workers)]


@dataclasses.dataclass
class Running:
    job: Job
    index: int
    slot: int
    proc: subprocess.Popen
    log: Path | None
    handle: IO[str] | None
    started: float


def job_command(job: Job, threads: int | None, device: str | None) -> list[str]:
    extra = ([f"--threads={threads}"] if threads is not None else []) + ([f"--device={device}"] if device else [])
    return [sys.executable, "-m", "sparselab", *job.argv, *extra, *plugins.flags()]


def python_path() -> str:
    """PYTHONPATH with this package's folder first: a checkout that is not installed is found too."""
    return os.pathsep.join(p for p in (str(PACKAGE_PARENT), os.environ.get("PYTHONPATH")) if p)


def job_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": python_path()}


def error_line(log: str) -> str | None:
    """main.py's own one-line error (its last `error:` line) in a job's output."""
    lines = [line for line in log.splitlines() if line.startswith("error: ")]
    return lines[-1].removeprefix("error: ") if lines else None


def run_jobs(jobs: Sequence[Job], workers: int, threads: int | None, devices: Sequence[str | None],
             log_dir: Path) -> int:
    """Run the jobs, at most `workers` at a time, printing live per-job lines (`SweepProgress`)
    and `jobs done/total` lines; 0, or 1 if any failed."""
    logged = len(jobs) > 1  # one job shows its own output, several write logs
    live = SweepProgress(len(jobs), min(workers, len(jobs))) if logged else None
    if logged:
        log_dir.mkdir(parents=True, exist_ok=True)
        print(f"sweep: {len(jobs)} jobs in {min(workers, len(jobs))} worker process(es)"
              f"{f', {threads} CPU thread(s) each' if threads else ''}; logs in {log_dir}", flush=True)
    pending, running, failed, done = list(enumerate(jobs)), [], [], 0
    free = list(range(workers))
    try:
        while pending or running:
            while pending and free:
                running.append(_start(*pending.pop(0), free.pop(0), threads, devices, log_dir if logged else None))
                if live is not None:
                    live.started(running[-1].index, running[-1].job.label, running[-1].log)
            time.sleep(POLL_SECONDS)
            if live is not None:
                live.poll(len(pending))
            for r in [r for r in running if r.proc.poll() is not None]:
                running.remove(r)
                free.append(r.slot)
                if r.handle is not None:
                    r.handle.close()
                done += 1
                took = live.finished(r.index) if live is not None else time.monotonic() - r.started
                status = r.proc.returncode
                if status != 0:
                    failed.append((r, status))
                state = "ok" if status == 0 else f"FAILED (exit {status}; log {r.log})" if r.log else "FAILED"
                print(f"jobs {done}/{len(jobs)} done: job {r.index + 1} [{r.job.label}] {state} [{took:.0f}s]",
                      flush=True)
    except BaseException:
        for r in running:
            r.proc.terminate()
        for r in running:
            r.proc.wait()
        raise
    if failed:
        raise JobFailed(_failure(failed, len(jobs)))
    return 0


def _start(index: int, job: Job, slot: int, threads: int | None, devices: Sequence[str | None],
           log_dir: Path | None) -> Running:
    """The job's process, its output in `log_dir/job_<i>.log` (None: on this terminal)."""
    log = log_dir / f"job_{index + 1}.log" if log_dir is not None else None
    handle = open(log, "w") if log is not None else None
    proc = subprocess.Popen(job_command(job, threads, devices[slot]), stdout=handle,
                            stderr=subprocess.STDOUT if handle else None, env=job_env())
    return Running(job, index, slot, proc, log, handle, time.monotonic())


def _failure(failed: list[tuple[Running, int]], total: int) -> str:
    r, status = failed[0]
    reason = (error_line(r.log.read_text(errors="replace")) if r.log and r.log.exists() else None) \
        or f"exit status {status}"
    others = f" (and {len(failed) - 1} more: {', '.join(f.job.label for f, _ in failed[1:])})" \
        if len(failed) > 1 else ""
    return (f"{len(failed)} of {total} jobs failed: {r.job.label}: {reason}"
            f"{f'; log {r.log}' if r.log else ''}{others}")


# Live lines, read from each job's growing log: one at its start, at a new level, and at most every PROGRESS_SECONDS
# otherwise, e.g. `job 3/8 [init_density=0.1 replicate 1] level 2/5  it 40/92  ETA 0:00:12, job 0:01:10; sweep 0:04:00`
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

