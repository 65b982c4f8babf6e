"""Levels are plain data and their starts functions of them: which finished file a level starts from,
read once where every level shares it, on which schedule."""
from __future__ import annotations

import dataclasses

import pytest

from sparselab.experiments.lottery import starts
from sparselab.experiments.lottery.policies import FINETUNE, POLICIES, STANDARD
from sparselab.experiments.lottery.trunk import Kept
from sparselab.sparsity.init_hparams import InitPruningHparams


class _Store:
    """Answers each read with a label naming it, so the test sees which finished file was read."""

    reads: int = 0

    def start_weights(self, level: int) -> str:
        self.reads += 1
        return f"start_{level}"

    def final_weights(self, level: int) -> str:
        return f"final_{level}"

    def pretrain_weights(self) -> str:
        return "pretrain"

    def used_rewind_point(self, pretrained: bool) -> None:
        """A reuse from memory reads no file (the real store notes the file as a parent)."""


@dataclasses.dataclass
class _Trunk:
    policy: object
    k: int = 0  # the rewind iteration
    training: str = "training"
    finetune: object = None
    init_pruning: InitPruningHparams = dataclasses.field(default_factory=InitPruningHparams)
    store: _Store = dataclasses.field(default_factory=_Store)
    kept: Kept = dataclasses.field(default_factory=Kept)

    def rewind_iteration(self) -> int:
        return self.k

    def init_seed(self) -> int:
        return 7

    def build_model(self, seed: int):
        class _Model:
            def state_dict(self) -> str:
                return f"init_seed_{seed}"
        return _Model()


def _start(trunk: _Trunk, index: int) -> str:
    return starts.start_weights(trunk, starts.level_of(trunk, index))  # type: ignore[arg-type]


def test_policies_and_levels_are_plain_data() -> None:
    for policy in POLICIES.values():
        assert not any(callable(getattr(policy, f.name)) for f in dataclasses.fields(policy))
    assert {name: (p.start, p.schedule) for name, p in POLICIES.items()} == {
        "lottery": ("rewind", STANDARD), "rewindLR": ("previous_final", STANDARD),
        "finetune": ("previous_final", FINETUNE), "scratch": ("fresh_init", STANDARD)}
    levels = starts.plan(_Trunk(POLICIES["finetune"], k=0), 2)  # type: ignore[arg-type]
    assert [(lv.index, lv.mask, lv.start, lv.schedule) for lv in levels] == [
        (0, starts.FROM_FLAGS, starts.INIT, STANDARD), (1, starts.PRUNE_PREVIOUS, "previous_final", FINETUNE),
        (2, starts.PRUNE_PREVIOUS, "previous_final", FINETUNE)]
    with pytest.raises(dataclasses.FrozenInstanceError):
        levels[0].index = 3  # type: ignore[misc]


@pytest.mark.parametrize("name,k,expected", [
    ("lottery", 0, "start_0"), ("lottery", 5, "pretrain"), ("rewindLR", 5, "final_2"), ("finetune", 0, "final_2"),
])
def test_a_level_starts_from_the_policy_s_finished_file(name: str, k: int, expected: str) -> None:
    assert _start(_Trunk(POLICIES[name], k=k), 3) == expected


def test_level_zero_starts_from_the_init_or_the_pretrained_weights() -> None:
    assert _start(_Trunk(POLICIES["lottery"], k=0), 0) == "init_seed_7"
    assert _start(_Trunk(POLICIES["lottery"], k=5), 0) == "pretrain"


def test_scratch_draws_a_new_seed_per_level_and_oneshot_takes_the_dense_final() -> None:
    trunk = _Trunk(POLICIES["scratch"])
    assert _start(trunk, 3) != _start(trunk, 4)
    assert starts.fresh_init(trunk, 0) == "init_seed_7"  # type: ignore[arg-type]
    assert starts.branch_start(_Trunk(POLICIES["rewindLR"]), 3, previous=0) == "final_0"  # type: ignore[arg-type]
    assert starts.branch_start(_Trunk(POLICIES["rewindLR"]), 0) == "start_0"  # type: ignore[arg-type]


def test_the_rewind_point_is_read_once_per_run() -> None:
    trunk = _Trunk(POLICIES["lottery"])
    assert [_start(trunk, level) for level in (1, 2, 3)] == ["start_0"] * 3
    assert trunk.store.reads == 1


def test_schedule_rewinds_to_k_or_finetunes_from_zero() -> None:
    assert starts.schedule(_Trunk(POLICIES["lottery"], k=5), 3) == ("training", 5)  # type: ignore[arg-type]
    assert starts.schedule(_Trunk(POLICIES["finetune"], k=0), 0) == ("training", 0)  # type: ignore[arg-type]
    assert starts.level_of(_Trunk(POLICIES["finetune"], k=0), 2).start_iteration == 0  # type: ignore[arg-type]
