"""Platform pieces in one process: flags, registry, torchrun environment, slurm command lines, run_once ranks."""
from __future__ import annotations

import json
import threading
import time

import filelock
import pytest
import torch

from sparselab.core import integrity
from sparselab.core import io as fio
from sparselab.core.errors import UsageError
from sparselab.platforms import registry, slurm
from sparselab.platforms.base import PLATFORM_NAMES, Platform, PlatformHparams
from sparselab.platforms.distributed import choose_device, same, torchrun_environment
from sparselab.train import job

TORCHRUN_ENV = {"RANK": "1", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2",
                "MASTER_ADDR": "node0", "MASTER_PORT": "29500"}


# ----- flags and registry -----------------------------------------------------------------------
def test_every_platform_name_is_registered():
    assert set(PLATFORM_NAMES) == set(registry.PLATFORMS)


def test_platform_flags_are_never_hashed():
    h = PlatformHparams(platform="slurm", device="cpu", compile=True, slurm_gpus=4, slurm_nodes=2,
                        replicates="1-3", slurm_wait=True, sweep="lr=0.1,0.2", workers=2, workers_per_gpu=2)
    assert h.canonical() == {}


@pytest.mark.parametrize("values, fragment", [
    ({"platform": "cloud"}, "choose from local, distributed, slurm"),
    ({"replicates": "0-2"}, "replicates start at 1"),
    ({"platform": "slurm", "replicates": "3-1"}, "descending"),
    ({"slurm_gpus": -1}, "--slurm_gpus must be >= 0"),
    ({"slurm_nodes": 0}, "--slurm_nodes must be >= 1"),
    ({"slurm_time": 0}, "--slurm_time must be >= 1"),
    ({"slurm_executor": "pbs"}, "choose from slurm, local"),
    ({"threads": 0}, "--threads must be >= 1"),
])
def test_bad_platform_values_are_usage_errors(values, fragment):
    with pytest.raises(UsageError, match=fragment.replace("(", r"\(")):
        PlatformHparams(**values)


def test_replicate_list():
    assert PlatformHparams(platform="slurm", replicates="1-3,7").replicate_list() == [1, 2, 3, 7]
    assert PlatformHparams().replicate_list() is None


def test_local_platform_is_one_process():
    p = registry.create(PlatformHparams(device="cpu", threads=1))
    assert (p.rank, p.world_size, p.is_primary) == (0, 1, True)
    p.barrier()
    obj = {"a": torch.ones(2)}
    assert p.broadcast_object(obj) is obj
    assert not hasattr(p, "all_reduce_sum")  # the loop then skips the reduction entirely


def test_wrap_model_compiles_only_on_request():
    model = torch.nn.Linear(3, 2)
    assert Platform(PlatformHparams(device="cpu", threads=1)).wrap_model(model) is model
    compiled = Platform(PlatformHparams(device="cpu", threads=1, compile=True)).wrap_model(model)
    assert compiled is not model and getattr(compiled, "_orig_mod", None) is model  # compiled lazily


def test_slurm_platform_cannot_run_in_process():
    with pytest.raises(UsageError, match="maybe_submit"):
        registry.create(PlatformHparams(platform="slurm"))


# ----- distributed ------------------------------------------------------------------------------
def test_torchrun_environment_is_read():
    assert torchrun_environment(TORCHRUN_ENV) == {"rank": 1, "world_size": 4, "local_rank": 1,
                                                  "local_world_size": 2}


@pytest.mark.parametrize("drop", ["RANK", "MASTER_ADDR", "WORLD_SIZE"])
def test_missing_torchrun_environment_says_how_to_launch(drop):
    env = {k: v for k, v in TORCHRUN_ENV.items() if k != drop}
    with pytest.raises(UsageError, match=f"{drop}.*torchrun --nproc_per_node"):
        torchrun_environment(env)


def test_inconsistent_torchrun_environment():
    with pytest.raises(UsageError, match="inconsistent"):
        torchrun_environment({**TORCHRUN_ENV, "RANK": "4"})


def test_distributed_device_choice():
    assert choose_device("cpu", 3) == torch.device("cpu")
    with pytest.raises(UsageError, match="cuda:LOCAL_RANK"):
        choose_device("cuda:1", 0)
    if not torch.cuda.is_available():
        assert choose_device("auto", 1) == torch.device("cpu")
        with pytest.raises(UsageError, match="CUDA is not available"):
            choose_device("cuda", 0)


def test_structural_equality():
    a = {"w": torch.tensor([True, False]), "n": [1, 2.5, "x"]}
    assert same(a, {"w": torch.tensor([True, False]), "n": [1, 2.5, "x"]})
    assert not same(a, {"w": torch.tensor([True, True]), "n": [1, 2.5, "x"]})
    assert not same(a, {"w": torch.tensor([1, 0]), "n": [1, 2.5, "x"]})  # dtype matters
    assert not same(torch.ones(2), torch.ones(3))


# ----- run_once as seen by each rank of a data-parallel run -------------------------------------
class FakeRank:
    """A platform that plays one rank: it records broadcasts; non-primary ranks hear `replies`."""

    def __init__(self, rank: int, replies: list | None = None) -> None:
        self.rank, self.world_size, self.is_primary = rank, 2, rank == 0
        self.replies = list(replies or [])
        self.sent: list = []
        self.barriers = 0

    def broadcast_object(self, obj, src=0):
        self.sent.append(obj)
        return obj if self.is_primary else self.replies.pop(0)

    def barrier(self):
        self.barriers += 1


def test_primary_rank_writes_and_announces(tmp_path):
    rank0 = FakeRank(0)
    calls = []
    result = job.run_once(tmp_path / "j", {"h": 1}, lambda: calls.append(1) or {"acc": 0.5}, "j",
                          verbose=False, platform=rank0)
    assert result == {"acc": 0.5} and calls == [1]
    assert job.read_done(tmp_path / "j") == {"acc": 0.5}  # done.json adds its integrity record
    record = json.loads((tmp_path / "j" / "hparams.json").read_text())
    assert record.pop("provenance")["torch_version"] and record == {"h": 1}  # + versions (train/provenance.py)
    assert rank0.sent == [(str(tmp_path / "j"), "run"), {"acc": 0.5}] and rank0.barriers == 1
    # Done now: the decision is "done" and the work is not run again.
    again = FakeRank(0)
    assert job.run_once(tmp_path / "j", {}, lambda: pytest.fail("ran twice"), "j", False, platform=again) \
        == {"acc": 0.5}
    assert again.sent == [(str(tmp_path / "j"), "done"), {"acc": 0.5}]


def test_other_ranks_follow_rank_zero_and_write_nothing(tmp_path):
    d = tmp_path / "j"
    rank1 = FakeRank(1, replies=[(str(d), "run"), {"acc": 0.9}])
    calls = []
    result = job.run_once(d, {"h": 1}, lambda: calls.append(1) or {"acc": 0.1}, "j", platform=rank1)
    assert calls == [1] and result == {"acc": 0.9}  # trained collectively, reports rank 0's numbers
    assert not d.exists() or list(d.iterdir()) == []
    assert rank1.sent == [None, None] and rank1.barriers == 1
    skip = FakeRank(1, replies=[(str(d), "done"), {"acc": 0.9}])
    assert job.run_once(d, {}, lambda: pytest.fail("ran"), "j", platform=skip) == {"acc": 0.9}


def test_ranks_on_different_jobs_fail_loudly(tmp_path):
    rank1 = FakeRank(1, replies=[(str(tmp_path / "other"), "run")])
    with pytest.raises(RuntimeError, match="different paths"):
        job.run_once(tmp_path / "j", {}, lambda: {}, "j", platform=rank1)


def test_rank_zero_keeps_the_others_informed_while_it_waits(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(job, "LOCK_POLL_SECONDS", 0.1)
    d = tmp_path / "j"
    d.mkdir()
    held = threading.Event()

    def finish_elsewhere() -> None:  # another process's job: holds the lock, then marks it done
        with filelock.FileLock(str(d / fio.LOCK_NAME)):
            held.set()
            time.sleep(0.5)
            fio.write_json(d / "done.json", integrity.seal({"acc": 0.7}, {}))

    other = threading.Thread(target=finish_elsewhere)
    other.start()
    held.wait()
    rank0 = FakeRank(0)
    result = job.run_once(d, {}, lambda: pytest.fail("ran"), "lvl", platform=rank0)
    other.join()
    decisions = [s[1] for s in rank0.sent[:-1]]
    assert result == {"acc": 0.7}
    assert decisions[0] == "waiting" and decisions.count("waiting") >= 2 and decisions[-1] == "done"
    assert "lvl: waiting for another process" in capsys.readouterr().out


def test_single_process_behaviour_is_unchanged(tmp_path):
    result = job.run_once(tmp_path / "j", {"h": 2}, lambda: {"acc": 1.0}, "j", verbose=False)
    assert result == {"acc": 1.0} and job.is_done(tmp_path / "j")
    assert job.run_once(tmp_path / "j", {}, lambda: pytest.fail("ran twice"), "j", verbose=False) == result


# ----- slurm command lines ------------------------------------------------------------------------
def test_slurm_flags_are_split_from_the_command(tmp_path):
    argv = ["--lr=0.1", "--platform=slurm", "--slurm_gpus", "2", "--slurm_wait", "--replicates=2-3",
            "--device=cuda", "--compile", "--root", str(tmp_path / "r"), "--quiet"]
    sub = slurm.parse("lottery", argv)
    assert sub.replicates == [2, 3] and sub.hparams.slurm_gpus == 2 and sub.hparams.slurm_wait
    assert sub.flags == ["--lr=0.1", "--quiet", "--device=cuda", "--compile=true", f"--root={tmp_path / 'r'}"]
    assert slurm.job_flags(sub, 3)[0] == "lottery" and slurm.job_flags(sub, 3)[-1] == "--replicate=3"
    assert not sub.print_path and slurm.parse("train", ["--platform=slurm", "--print_path"]).print_path


def test_relative_root_becomes_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPARSELAB_ROOT", raising=False)
    sub = slurm.parse("train", ["--platform=slurm", "--replicate=4"])
    assert sub.replicates == [4] and sub.flags == [f"--root={tmp_path.resolve() / 'runs'}"]


def test_replicate_and_replicates_conflict():
    with pytest.raises(UsageError, match="not both"):
        slurm.parse("train", ["--platform=slurm", "--replicate=2", "--replicates=1-2"])


def test_maybe_submit_leaves_other_platforms_and_help_alone():
    assert slurm.maybe_submit("train", ["--lr=0.1"]) is None
    assert slurm.maybe_submit("train", ["--platform=local"]) is None
    assert slurm.maybe_submit("train", ["--platform=slurm", "--help"]) is None


def test_launch_commands():
    task = dict(python="py", module="sparselab", cwd=".", argv=("train", "--lr=0.1"), output="d")
    one = slurm.SlurmTask(nodes=1, procs_per_node=1, **task)
    assert one.launch_command() == ["py", "-m", "sparselab", "train", "--lr=0.1", "--platform=local"]
    node = slurm.SlurmTask(nodes=1, procs_per_node=4, **task)
    assert node.launch_command() == ["py", "-m", "torch.distributed.run", "--nproc_per_node=4", "--standalone",
                                     "-m", "sparselab", "train", "--lr=0.1", "--platform=distributed"]
    nodes = slurm.SlurmTask(nodes=2, procs_per_node=8, **task)
    assert nodes.launch_command(1, "gpu17", 23456)[3:8] == [
        "--nproc_per_node=8", "--nnodes=2", "--node_rank=1", "--master_addr=gpu17", "--master_port=23456"]
    assert slurm.job_port("1234_5") == slurm.job_port("1234_5") and 20000 <= slurm.job_port("99999") < 40000


def test_executor_parameters():
    h = PlatformHparams(platform="slurm", slurm_partition="gpu", slurm_gpus=4, slurm_nodes=2, slurm_cpus=32,
                        slurm_mem=200, slurm_time=90)
    params = slurm.executor_parameters(h, "job")
    assert {k: params[k] for k in ("nodes", "tasks_per_node", "gpus_per_node", "cpus_per_task", "mem_gb",
                                   "timeout_min", "slurm_partition")} == \
        {"nodes": 2, "tasks_per_node": 1, "gpus_per_node": 4, "cpus_per_task": 32, "mem_gb": 200,
         "timeout_min": 90, "slurm_partition": "gpu"}
    assert "PYTHONPATH" in params["slurm_setup"][0]
    local = slurm.executor_parameters(PlatformHparams(platform="slurm", slurm_executor="local"), "job")
    assert "slurm_setup" not in local and "mem_gb" not in local


def test_local_executor_is_one_node(tmp_path):
    pytest.importorskip("submitit")
    with pytest.raises(UsageError, match="--slurm_nodes=2 needs --slurm_executor=slurm"):
        slurm.make_executor(PlatformHparams(platform="slurm", slurm_executor="local", slurm_nodes=2),
                            tmp_path, "x")


def test_slurm_executor_without_slurm(tmp_path, monkeypatch):
    pytest.importorskip("submitit")
    monkeypatch.setenv("PATH", str(tmp_path))  # no srun here
    with pytest.raises(UsageError, match="no SLURM on this machine"):
        slurm.make_executor(PlatformHparams(platform="slurm"), tmp_path, "x")
