"""Where and on what a job runs: device, process group, result and dataset roots."""
from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import torch

from sparselab.core.errors import UsageError
from sparselab.core.hparams import Hparams, hparam
from sparselab.data.hparams import DOWNLOADS, READS_FILES
from sparselab.core.when import When, given, is_set, one_of
from sparselab.core.levels import parse_levels
from sparselab.models.hparams import CONVOLUTIONAL
from sparselab.speed.fused_eval import use_fused_evaluation
from sparselab.speed.host_memory import reuse_freed_memory

# Kept here (not only in the registry) so the flag's choices need no import of the platforms.
PLATFORM_NAMES = ("local", "distributed", "slurm")
SLURM_EXECUTORS = ("slurm", "local")

T = TypeVar("T")
MAX_THREADS = 4096
NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems
CUBLAS_WORKSPACE = ":4096:8"  # what cuBLAS needs for deterministic results (CUDA >= 10.2)
EXPANSION_FLAGS = ("replicates", "sweep", "workers", "workers_per_gpu")


SLURM = one_of("platform", ("slurm",))  # the --slurm_* flags exist only with it
_flag = functools.partial(hparam, hashed=False)  # no platform flag changes results
_slurm = functools.partial(hparam, hashed=False, only_with=SLURM)
# --workers runs several jobs at once: replicates, --sweep points, or a branch command's levels (the commands whose
# parser has --create_parents); train, a trunk or a ticket alone is one job
SEVERAL_JOBS = When(lambda get: is_set(get("replicates")) or is_set(get("sweep")) or get("create_parents") is not None,
                    lambda get, p: f"--{p}replicates or --{p}sweep (one job has nothing to run in parallel)")


@dataclasses.dataclass(frozen=True)
class PlatformHparams(Hparams):
    """Flags that choose the hardware target."""

    _group: ClassVar[str] = "Platform"
    platform: str = _flag("local", "where the job runs: local (this process), distributed (under torchrun), "
                          "slurm (submit to a cluster)", choices=PLATFORM_NAMES)
    device: str = _flag("auto", "auto | cpu | cuda | cuda:N | mps")
    threads: int | None = _flag(None, "CPU threads for torch; unset: all available cores, shared among "
                                "the processes of a node under --platform=distributed")
    compile: bool = _flag(False, "torch.compile the model for training (pays off on GPUs)")
    fused_eval: bool = _flag(False, "evaluate convolutional networks through a graph with BatchNorm folded and, "
                             "on the CPU in fp32, convolution + addition + ReLU fused by oneDNN "
                             "(speed/fused_eval.py; ResNet-20 ~1.4x faster); logits agree with the trained "
                             "module to ~1e-6 relative, so a prediction can differ at a near tie. "
                             "Off: the trained module itself is evaluated", only_with=CONVOLUTIONAL)
    deterministic: bool = _flag(False, "deterministic algorithms only (torch.use_deterministic_algorithms, "
                                "cuDNN deterministic, CUBLAS_WORKSPACE_CONFIG): GPU runs repeat bit for bit; slower")
    root: str | None = _flag(None, "results root (else $SPARSELAB_ROOT, else ./runs)")
    dataset_root: str | None = _flag(None, "dataset root (else $SPARSELAB_DATA, else ./data); a flag of the "
                                     "datasets read from files only (a --sweep over both kinds: $SPARSELAB_DATA)",
                                     only_with=READS_FILES)
    download: bool = _flag(False, "download a missing dataset (needs network)", only_with=DOWNLOADS)
    checkpoint_seconds: float = _flag(600.0, "write a training checkpoint every this many seconds, at the end of "
                                      "each job and on SIGTERM/SIGINT; 0: at every epoch end")
    # ----- expansion into jobs (platforms/grid.py, sweep.py): main.py expands before any job runs ------
    replicates: str | None = _flag(None, "run one job per replicate, e.g. 1-4 or 1,3 (locally one after another, or in "
                                   "--workers processes; with slurm one job each); unset: the --replicate")
    sweep: str | None = _flag(None, "repeatable FIELD=V1,V2: one job per point of the cross product of the listed "
                              "values (each the command with those flags typed); FIELD=A;B when values hold commas")
    workers: int | None = _flag(None, "run the jobs (replicates x --sweep points; a branch's levels) in N processes on "
                                "this machine: CPU threads split between them, one GPU each", only_with=SEVERAL_JOBS)
    workers_per_gpu: int | None = _flag(None, "--workers sharing one GPU; unset: one worker per GPU",
                                        only_with=given("workers"))
    # ----- --platform=slurm ---------------------------------------------------------------------
    slurm_executor: str = _slurm("slurm", "slurm: submit with sbatch, or local: run the jobs as background "
                                 "processes on this machine (for testing)", choices=SLURM_EXECUTORS)
    slurm_partition: str | None = _slurm(None, "slurm: partition; unset: the cluster's default")
    slurm_nodes: int = _slurm(1, "slurm: nodes per job (more than 1 trains with torchrun across nodes)")
    slurm_gpus: int = _slurm(1, "slurm: GPUs per node; one process per GPU (0: a CPU job)")
    slurm_cpus: int | None = _slurm(None, "slurm: CPUs per node; unset: the cluster's default")
    slurm_mem: int | None = _slurm(None, "slurm: memory per node in GB; unset: the cluster's default")
    slurm_time: int = _slurm(240, "slurm: time limit per job in minutes")
    slurm_folder: str | None = _slurm(None, "slurm: folder for logs and submission files; unset: <root>/slurm_logs")
    slurm_wait: bool = _slurm(False, "slurm: wait until every submitted job has finished")

    def validate(self) -> None:
        if not self.checkpoint_seconds >= 0:
            raise UsageError(f"--checkpoint_seconds must be >= 0, got {self.checkpoint_seconds}")
        if self.threads is not None and self.threads < 1:
            raise UsageError(f"--threads must be >= 1, got {self.threads}")
        if self.threads is not None and self.threads > MAX_THREADS:
            raise UsageError(f"--threads must be at most {MAX_THREADS}, got {self.threads}")
        limits = {"slurm_nodes": 10**4, "slurm_gpus": 64, "slurm_cpus": 10**4, "slurm_mem": 10**5, "slurm_time": 10**6}
        lows = {"slurm_nodes": 1, "slurm_time": 1, "slurm_cpus": 1, "slurm_mem": 1, "slurm_gpus": 0}
        bounds = [(n, "at most", m) for n, m in limits.items()] + [(n, ">=", m) for n, m in lows.items()]
        for name, word, bound in bounds:
            value = getattr(self, name)
            if value is not None and (value > bound if word == "at most" else value < bound):
                raise UsageError(f"--{name} must be {word} {bound}, got {value}")
        if self.replicates is not None:
            self.replicate_list()

    def replicate_list(self) -> list[int] | None:
        """The replicates of --replicates (None when not given); replicates start at 1."""
        if self.replicates is None:
            return None
        replicates = parse_levels(self.replicates, flag="--replicates")
        if replicates[0] < 1:
            raise UsageError(f"--replicates: replicates start at 1, got {self.replicates!r}")
        return replicates


class Platform:
    """One local process. Process-group interface: `rank`, `world_size`, `is_primary`, `barrier()`,
    `broadcast_object(obj)`, `wrap_model(model)`; no `all_reduce_sum`: the training loop then skips the reduction."""

    def __init__(self, hparams: PlatformHparams) -> None:
        self.hparams = hparams
        expanded = [n for n in EXPANSION_FLAGS if getattr(hparams, n) is not None]
        if expanded:
            raise UsageError(f"--{expanded[0]} expands a command line into jobs, which main.py does before a job "
                             "runs (sparselab.platforms.sweep); one job takes --replicate=N")
        if hparams.deterministic:
            use_deterministic_algorithms()
        self.device = self.choose_device()
        use_fused_evaluation(hparams.fused_eval)
        if self.device.type == "cpu":
            torch.set_num_threads(hparams.threads or self.default_threads())
            reuse_freed_memory()

    def choose_device(self) -> torch.device:
        return resolve_device(self.hparams.device)

    def default_threads(self) -> int:
        return available_cpus()

    @property
    def root(self) -> Path:
        return results_root(self.hparams)

    @property
    def dataset_root(self) -> Path:
        return data_root(self.hparams)

    rank: int = 0
    world_size: int = 1

    @property
    def is_primary(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        pass

    def broadcast_object(self, obj: T, src: int = 0) -> T:
        return obj

    def wrap_model(self, model: torch.nn.Module) -> torch.nn.Module:
        """What the training loop runs forward and backward through (`model` stays the bare one)."""
        return compile_model(model) if self.hparams.compile else model


def use_deterministic_algorithms() -> None:
    """Deterministic kernels everywhere (an op without one raises); set before any CUDA work."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def check_results_root(root: Path, flag: str = "--root") -> None:
    """Refuse, before anything is written, a results root that cannot hold job directories."""
    path = Path(root).absolute()
    for part in path.parts:
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
            raise UsageError(f"{flag}: the name {part[:32]!r}... is {len(part)} characters; file names are at "
                             f"most {NAME_MAX} bytes")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{flag}: {existing} is a file, not a directory (cannot create {path})")
    if not os.access(existing, os.W_OK | os.X_OK):
        why = "read-only file system" if _read_only(existing) else "permission denied"
        raise UsageError(f"{flag}: cannot create {path}: {existing} is not writable ({why})")
    try:  # the root itself (no job file): what access() cannot tell, e.g. /proc or /sys
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{flag}: cannot create {path}: {os.strerror(e.errno or 0)}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{flag}: {path} is not writable (permission denied)")


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def available_cpus() -> int:
    """CPUs this process may run on (respects taskset and SLURM/cgroup CPU sets), else all cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def results_root(hparams: PlatformHparams) -> Path:
    return root_path(hparams.root)


def root_path(given: str | None) -> Path:
    """--root, else $SPARSELAB_ROOT, else ./runs (jobs, report, list and verify alike)."""
    return Path(given or os.environ.get("SPARSELAB_ROOT") or "runs")


def data_root(hparams: PlatformHparams) -> Path:
    """--dataset_root, else $SPARSELAB_DATA, else ./data."""
    return Path(hparams.dataset_root or os.environ.get("SPARSELAB_DATA") or "data")


def compile_model(model: torch.nn.Module) -> Any:
    return torch.compile(model)


def resolve_device(name: str) -> torch.device:
    """auto = CUDA if present, else MPS, else CPU; a device that does not exist is a UsageError."""
    name = name.strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UsageError(f"--device: unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"--device={name}: CUDA is not available on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UsageError(f"--device={name}: only {torch.cuda.device_count()} CUDA device(s) present")
    elif device.type == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise UsageError(f"--device={name}: MPS is not available on this machine")
    elif device.type != "cpu":
        raise UsageError(f"--device: unsupported device {name!r}; use auto, cpu, cuda, cuda:N or mps")
    return device
