"""`--platform=slurm`: one submitit job per replicate x grid point (`platforms/grid.py`), each `python -m sparselab`
with --platform=local, or torchrun with --platform=distributed when `--slurm_nodes` x `--slurm_gpus` > 1. Every job's
`--print_path` is asked first, so a bad flag fails here, not in the queue; requeued jobs resume from checkpoints.
`--slurm_executor=local` runs the jobs as background processes here (how the tests exercise it)."""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

from sparselab.core.cli import OneLineParser, pre_read
from sparselab.core import plugins
from sparselab.core.errors import UsageError
from sparselab.platforms import grid
from sparselab.platforms.base import Platform, PlatformHparams, data_root, results_root
from sparselab.platforms.workers import PACKAGE_PARENT, error_line, job_env, python_path

MODULE = "sparselab"  # jobs run `python -m sparselab`: works from a checkout and from an installed package
# Platform flags that the job itself needs (the slurm ones, --platform and --replicates are consumed here).
PASS_THROUGH = ("device", "threads", "compile", "download", "deterministic", "checkpoint_seconds")
PORT_BASE, PORT_SPAN = 20000, 20000


class SlurmPlatform(Platform):
    """Never runs a job in this process: main.py submits through `maybe_submit` first."""

    def __init__(self, hparams: PlatformHparams) -> None:
        raise UsageError("--platform=slurm submits jobs from the command line (main.py calls "
                         "sparselab.platforms.slurm.maybe_submit); it cannot run a job inside this process")


@dataclasses.dataclass(frozen=True)
class Submission:
    command: str
    flags: list[str]  # the command's own flags, pass-through platform flags included
    hparams: PlatformHparams
    replicates: list[int]
    print_path: bool
    points: tuple[tuple[str, ...], ...] = ((),)  # --sweep grid points (platforms/grid.py)

    def jobs(self) -> list[tuple[str, list[str]]]:
        """(label, main.py arguments) of each job: grid point x replicate."""
        return [(grid.label(point, replicate), job_flags(self, replicate, point))
                for point in self.points for replicate in self.replicates]


def maybe_submit(command: str, argv: Sequence[str]) -> int | None:
    """Submit when `--platform=slurm` is given (the exit status), else None: main.py carries on."""
    argv = list(argv)
    if pre_read(argv, "platform") != "slurm" or "-h" in argv or "--help" in argv:
        return None
    submission = parse(command, argv)
    if submission.print_path:
        for directory in output_directories(submission).values():
            print(directory)
        return 0
    return submit(submission)


def parse(command: str, argv: Sequence[str]) -> Submission:
    """Split the platform flags (and --replicate(s), --sweep, --print_path) from the command's own flags."""
    expansion = grid.expand(command, argv)
    if expansion.workers is not None:
        raise UsageError("--workers runs jobs on this machine; with --platform=slurm each job is a SLURM job "
                         "(drop --workers)")
    probe = OneLineParser(prog=f"main.py {command}", add_help=False, allow_abbrev=False)
    PlatformHparams.add_args(probe)
    known, rest = probe.parse_known_args(list(expansion.flags))
    hparams = PlatformHparams.from_args(known)
    assert isinstance(hparams, PlatformHparams)
    flags = list(rest)
    for name in PASS_THROUGH:
        if hasattr(known, name):
            value = getattr(hparams, name)
            flags.append(f"--{name}={str(value).lower() if isinstance(value, bool) else value}")
    # The job may start in another folder or environment: pin the roots as absolute paths.
    flags.append(f"--root={results_root(hparams).resolve()}")
    if hparams.dataset_root is not None or os.environ.get("SPARSELAB_DATA"):
        flags.append(f"--dataset_root={data_root(hparams).resolve()}")
    return Submission(command, flags, hparams, list(expansion.replicates), expansion.print_path, expansion.points)


def job_flags(submission: Submission, replicate: int, point: Sequence[str] = ()) -> list[str]:
    """main.py's arguments for one job, without --platform (the task adds it)."""
    return [submission.command, *submission.flags, *point, f"--replicate={replicate}", *plugins.flags()]


def output_directories(submission: Submission) -> dict[str, str]:
    """Each job's `--print_path` answer (asked in parallel; a branch: one line per level): validates every flag."""
    procs = {}
    for label, flags in submission.jobs():
        argv = [sys.executable, "-m", MODULE, *flags, "--platform=local", "--device=cpu", "--threads=1",
                "--print_path"]
        procs[label] = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=job_env())
    answers = {label: proc.communicate() for label, proc in procs.items()}
    return {label: grid.answer(label, procs[label].returncode, out, err, len(procs) > 1, "main.py exited with status")
            for label, (out, err) in answers.items()}


@dataclasses.dataclass(frozen=True)
class SlurmTask:
    """What a submitted job runs: `python -m sparselab` (one process) or torchrun (several), on each node."""

    python: str
    module: str
    cwd: str
    argv: tuple[str, ...]  # job_flags(...)
    nodes: int
    procs_per_node: int
    output: str  # what --print_path says about the job: returned when the job succeeds

    def launch_command(self, node_rank: int = 0, master_addr: str = "", port: int = 29500) -> list[str]:
        if self.nodes * self.procs_per_node == 1:
            return [self.python, "-m", self.module, *self.argv, "--platform=local"]
        launcher = [self.python, "-m", "torch.distributed.run", f"--nproc_per_node={self.procs_per_node}"]
        if self.nodes == 1:
            launcher.append("--standalone")
        else:
            launcher += [f"--nnodes={self.nodes}", f"--node_rank={node_rank}", f"--master_addr={master_addr}",
                         f"--master_port={port}"]
        return [*launcher, "-m", self.module, *self.argv, "--platform=distributed"]

    def __call__(self) -> str:
        command = self.launch_command()
        if self.nodes * self.procs_per_node > 1:
            import submitit

            job_env = submitit.JobEnvironment()
            command = self.launch_command(job_env.node, job_env.hostnames[0], job_port(job_env.job_id))
        print(" ".join(command), flush=True)
        status = subprocess.run(command, cwd=self.cwd).returncode
        if status != 0:
            raise RuntimeError(f"{' '.join(command)} exited with status {status}")
        return self.output

    def checkpoint(self) -> Any:
        """On preemption or time-out submitit requeues the same task; the job resumes from its checkpoint."""
        import submitit

        return submitit.helpers.DelayedSubmission(self)


def job_port(job_id: str) -> int:
    """A rendezvous port that every node of a job derives alike from the job id."""
    digits = re.sub(r"\D", "", job_id) or "0"
    return PORT_BASE + int(digits) % PORT_SPAN


def executor_parameters(hparams: PlatformHparams, name: str) -> dict[str, Any]:
    """submitit AutoExecutor parameters: one task per node, GPUs, CPUs, memory, time, partition."""
    params: dict[str, Any] = {"name": name, "timeout_min": hparams.slurm_time, "nodes": hparams.slurm_nodes,
                              "tasks_per_node": 1, "gpus_per_node": hparams.slurm_gpus}
    optional = {"cpus_per_task": hparams.slurm_cpus, "mem_gb": hparams.slurm_mem,
                "slurm_partition": hparams.slurm_partition}
    params.update({k: v for k, v in optional.items() if v is not None})
    if hparams.slurm_executor == "slurm":
        params["slurm_setup"] = [f"export PYTHONPATH={PACKAGE_PARENT}${{PYTHONPATH:+:$PYTHONPATH}}"]
    return params


def make_executor(hparams: PlatformHparams, folder: Path, name: str) -> Any:
    try:
        import submitit
    except ImportError:
        raise UsageError("--platform=slurm needs submitit: pip install submitit "
                         "(or: pip install 'sparselab[slurm]')") from None
    if hparams.slurm_executor == "local" and hparams.slurm_nodes > 1:
        raise UsageError(f"--slurm_executor=local runs on this machine only; --slurm_nodes={hparams.slurm_nodes} "
                         "needs --slurm_executor=slurm")
    try:
        executor = submitit.AutoExecutor(folder=str(folder), cluster=hparams.slurm_executor)
    except RuntimeError as e:  # submitit's "Could not detect srun"
        raise UsageError(f"--slurm_executor=slurm: no SLURM on this machine ({e}); "
                         "use --slurm_executor=local to try the jobs here") from None
    executor.update_parameters(**executor_parameters(hparams, name))
    return executor


def submit(submission: Submission) -> int:
    """Submit one job per replicate x grid point; print job ids and output directories; wait on request."""
    h = submission.hparams
    directories = output_directories(submission)  # validates the command line first
    folder = Path(h.slurm_folder).resolve() if h.slurm_folder else results_root(h).resolve() / "slurm_logs"
    # The job unpickles SlurmTask, so this package must be importable wherever the job starts.
    os.environ["PYTHONPATH"] = python_path()
    jobs = []
    for label, flags in submission.jobs():
        directory = directories[label]
        executor = make_executor(h, folder, name=f"sparselab_{submission.command}_{label.replace(' ', '_')}")
        task = SlurmTask(python=sys.executable, module=MODULE, cwd=os.getcwd(), argv=tuple(flags),
                         nodes=h.slurm_nodes, procs_per_node=max(1, h.slurm_gpus), output=directory)
        job = executor.submit(task)
        jobs.append((label, job))
        print(f"{label}: job {job.job_id}  log {job.paths.stdout}", flush=True)
        for line in directory.splitlines():
            print(f"  output {line}", flush=True)
    if not h.slurm_wait:
        return 0
    failed = 0
    for label, job in jobs:
        try:
            job.result()
            print(f"{label}: job {job.job_id} finished", flush=True)
        except Exception as e:  # submitit raises its own FailedJobError / UncompletedJobError
            failed += 1
            print(f"{label}: job {job.job_id} failed: {failure_reason(job, e)}  "
                  f"(log {job.paths.stderr})", file=sys.stderr, flush=True)
    return 1 if failed else 0


def failure_reason(job: Any, error: BaseException) -> str:
    """main.py's own one-line error from the job's log if there is one, else submitit's message."""
    try:
        log = job.stderr() or ""
    except OSError:
        log = ""
    reason = error_line(log)
    if reason is not None:
        return reason
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else type(error).__name__
