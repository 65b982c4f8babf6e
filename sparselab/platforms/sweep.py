"""main.py's hand-over for command lines that are several jobs (`--replicates`, `--sweep`, a branch's levels under
`--workers`) or `--platform=slurm`: every job's `--print_path` is asked before anything runs (a bad grid value is one
`error:` line, nothing written), jobs of one directory run once, then locally (`workers.py`) or on SLURM."""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from typing import Callable, Sequence

from sparselab.core.cli import pre_read
from sparselab.core.errors import UsageError
from sparselab.core import plugins
from sparselab.platforms import grid, slurm, workers
from sparselab.platforms.base import PlatformHparams, results_root

# Commands that read results rather than run jobs: their flags describe a run (report lottery --replicates=...).
READS_RESULTS = ("report", "list", "verify", "evaluate_ensemble")
MainFunction = Callable[[list[str]], int]


def maybe_submit(command: str, argv: Sequence[str], run_main: MainFunction | None = None,
                 summary: Callable[[str, list[str]], None] | None = None) -> int | None:
    """The exit status when the command line is several jobs (or `--platform=slurm`), else None. `run_main`: main.py's
    `main`, to check each job in this process (else a subprocess each); `summary(command, argv)` prints the mean ± std
    table once several jobs have all run here."""
    argv = list(argv)
    if command in READS_RESULTS or "-h" in argv or "--help" in argv:
        return None
    platform = pre_read(argv, "platform")
    if platform == "slurm":
        return slurm.maybe_submit(command, argv)
    expansion = grid.expand(command, argv, branch=command.endswith("_branch"))
    if not expansion.given:
        return None
    if platform == "distributed":
        raise UsageError("--replicates, --sweep and --workers start their own processes; under torchrun "
                         "(--platform=distributed) launch one job at a time, or use --platform=slurm")
    jobs = expansion.jobs()
    answers = print_paths(jobs, run_main)
    if expansion.print_path:
        for job in jobs:
            print(answers[job.label])
        return 0
    unique = list({answers[job.label]: job for job in jobs[::-1]}.values())  # the first of each directory
    unique = [job for job in jobs if job in unique]
    if len(unique) < len(jobs):
        print(f"sweep: {len(jobs) - len(unique)} job(s) are the same job as another (same directory); "
              "each runs once", flush=True)
    count = min(expansion.workers or 1, len(unique))
    flags = expansion.flags
    threads = workers.threads_per_worker(count, pre_read(flags, "threads")) if count > 1 else None
    devices = workers.devices_per_worker(count, expansion.workers_per_gpu, pre_read(flags, "device")) \
        if expansion.workers else [None]
    log_dir = results_root(PlatformHparams(root=pre_read(flags, "root"))) / workers.LOG_FOLDER / \
        f"{command}_{time.strftime('%Y%m%d-%H%M%S')}_{os.getpid()}"
    status = workers.run_jobs(unique, count, threads, devices, log_dir)
    if status == 0 and summary is not None and len(unique) > 1:
        summary(command, argv)
    return status


def print_paths(jobs: Sequence[grid.Job], run_main: MainFunction | None) -> dict[str, str]:
    """Each job's `--print_path` answer (its directory, or a branch's level lines); a bad job is an error."""
    answers = {}
    for job in jobs:
        answers[job.label] = grid.answer(job.label, *ask(run_main, [*job.argv, "--print_path"]), len(jobs) > 1)
    return answers


def ask(run_main: MainFunction | None, argv: list[str]) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of main.py on `argv`."""
    if run_main is None:
        proc = subprocess.run([sys.executable, "-m", "sparselab", *argv, *plugins.flags()], capture_output=True,
                              text=True, env=workers.job_env())
        return proc.returncode, proc.stdout, proc.stderr
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = int(run_main(argv) or 0)
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else 1
    return status, out.getvalue(), err.getvalue()
