"""`--platform=distributed`: one torchrun process per device (NCCL on cuda:LOCAL_RANK, else Gloo) training its shard
of every batch through DistributedDataParallel; only rank 0 prints and writes. The process's platform is `active()`:
`train/job.run_once` makes every rank take the same decisions with it."""
from __future__ import annotations

import atexit
import datetime
import gc
import os
import sys
from typing import Any, Mapping, Sequence

import torch
import torch.distributed as dist

from sparselab.core.errors import UsageError
from sparselab.platforms.base import Platform, PlatformHparams, T, available_cpus, compile_model

TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
LAUNCH_HINT = "torchrun --nproc_per_node=K main.py <command> --platform=distributed ..."
CHECK_BROADCAST_ENV = "SPARSELAB_CHECK_BROADCAST"  # 1: ranks check their objects against broadcast ones
ALL_RANKS_PRINT_ENV = "SPARSELAB_ALL_RANKS_PRINT"  # 1: keep the stdout of ranks other than 0
# A collective's wait for a late rank: covers rank-0-only work such as saving (run_once keeps lock waits talking).
TIMEOUT = datetime.timedelta(hours=2)

_ACTIVE: "DistributedPlatform | None" = None


def active() -> "DistributedPlatform | None":
    return _ACTIVE


def torchrun_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """rank, world_size, local_rank, local_world_size from torchrun's variables; UsageError if absent."""
    environ = os.environ if environ is None else environ
    missing = [name for name in TORCHRUN_VARIABLES if name not in environ]
    if missing:
        raise UsageError(f"--platform=distributed needs the torchrun environment ({', '.join(missing)} not set); "
                         f"launch with: {LAUNCH_HINT}")
    try:
        rank, world_size, local_rank = (int(environ[n]) for n in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
        local_world_size = int(environ.get("LOCAL_WORLD_SIZE", world_size))
    except ValueError:
        raise UsageError("--platform=distributed: RANK, WORLD_SIZE and LOCAL_RANK must be integers; "
                         f"launch with: {LAUNCH_HINT}") from None
    if not (0 <= rank < world_size and 0 <= local_rank < local_world_size):
        raise UsageError(f"--platform=distributed: inconsistent RANK={rank} WORLD_SIZE={world_size} "
                         f"LOCAL_RANK={local_rank}; launch with: {LAUNCH_HINT}")
    return {"rank": rank, "world_size": world_size, "local_rank": local_rank, "local_world_size": local_world_size}


def choose_device(name: str, local_rank: int) -> torch.device:
    """auto and cuda mean cuda:LOCAL_RANK when CUDA is present; cpu means Gloo on the CPU."""
    name = name.strip().lower()
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if name in ("auto", "cuda"):
        if not torch.cuda.is_available():
            raise UsageError(f"--device={name}: CUDA is not available on this machine")
        if local_rank >= torch.cuda.device_count():
            raise UsageError(f"--platform=distributed: local rank {local_rank} has no GPU "
                             f"({torch.cuda.device_count()} present); use --nproc_per_node <= the GPU count")
        return torch.device("cuda", local_rank)
    raise UsageError(f"--device={name} with --platform=distributed: use auto or cuda (each process takes "
                     "cuda:LOCAL_RANK) or cpu")


class DistributedPlatform(Platform):
    def __init__(self, hparams: PlatformHparams, environ: Mapping[str, str] | None = None) -> None:
        global _ACTIVE
        run = torchrun_environment(environ)
        self.rank: int = run["rank"]
        self.world_size: int = run["world_size"]
        self.local_rank: int = run["local_rank"]
        self.local_world_size: int = run["local_world_size"]
        super().__init__(hparams)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        self.backend = "nccl" if self.device.type == "cuda" else "gloo"
        if not dist.is_initialized():
            kwargs: dict[str, Any] = {"backend": self.backend, "timeout": TIMEOUT}
            if self.device.type == "cuda":
                kwargs["device_id"] = self.device
            dist.init_process_group(**kwargs)
            atexit.register(self.close)
        if not self.is_primary and not os.environ.get(ALL_RANKS_PRINT_ENV):
            sys.stdout = open(os.devnull, "w")  # kept open for the life of the process
        _ACTIVE = self

    def choose_device(self) -> torch.device:
        return choose_device(self.hparams.device, self.local_rank)

    def default_threads(self) -> int:
        return max(1, available_cpus() // self.local_world_size)

    def barrier(self) -> None:
        if self.device.type == "cuda":
            dist.barrier(device_ids=[self.device.index])
        else:
            dist.barrier()

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """The sum over ranks of `tensor`, as a new tensor."""
        out = tensor.clone()
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out

    def broadcast_object(self, obj: T, src: int = 0) -> T:
        """Rank `src`'s object on every rank (pickled); under SPARSELAB_CHECK_BROADCAST=1 the other ranks that passed
        an object of their own report on stderr whether it equals `src`'s."""
        box = [obj]
        dist.broadcast_object_list(box, src=src, device=self.device if self.device.type == "cuda" else None)
        received = box[0]
        if os.environ.get(CHECK_BROADCAST_ENV) and obj is not None and self.rank != src:
            verdict = "matches" if same(obj, received) else "DIFFERS FROM"
            print(f"[rank {self.rank}] broadcast check: {type(obj).__name__} {verdict} rank {src}'s",
                  file=sys.stderr, flush=True)
        return received

    def wrap_model(self, model: torch.nn.Module) -> torch.nn.Module:
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.device.index] if self.device.type == "cuda" else None
        # Rank 0's buffers (BatchNorm statistics) are broadcast at every forward; newer torch
        # names that flag forward_sync_buffers and deprecates broadcast_buffers.
        flag = "forward_sync_buffers" if "forward_sync_buffers" in _ddp_parameters() else "broadcast_buffers"
        wrapped: torch.nn.Module = DistributedDataParallel(model, device_ids=device_ids, **{flag: True})
        return compile_model(wrapped) if self.hparams.compile else wrapped

    def close(self) -> None:
        """At exit: collect a DDP wrapper kept alive by a reference cycle, then leave the group (destroyed after the
        group at shutdown it aborts the process, "terminate called without an active exception", 1 exit in 5)."""
        global _ACTIVE
        if dist.is_initialized():
            gc.collect()
            dist.destroy_process_group()
        if _ACTIVE is self:
            _ACTIVE = None


def _ddp_parameters() -> set[str]:
    import inspect

    from torch.nn.parallel import DistributedDataParallel

    return set(inspect.signature(DistributedDataParallel.__init__).parameters)


def same(a: Any, b: Any) -> bool:
    """Structural equality that understands tensors, mappings, sequences and plain objects."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dtype == b.dtype
                and a.shape == b.shape and torch.equal(a.cpu(), b.cpu()))
    if type(a) is not type(b):
        return False
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, Sequence) and not isinstance(a, (str, bytes)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if hasattr(a, "__dict__") and not isinstance(a, type):
        return same(vars(a), vars(b))
    return bool(a == b)
