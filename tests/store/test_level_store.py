"""`store.levels.LevelStore` can replace `training/store.LevelStore`: the trunk store's behavioural tests
pass on it unchanged, and reads kept in memory are noted as parents of the job being computed."""
from __future__ import annotations

from pathlib import Path

import pytest

import tests.training.test_store as base
from sparselab.foundations import integrity, layout
from sparselab.store.levels import LevelStore
from tests.training.test_store import trunk  # noqa: F401  (the fixture of the trunk store's tests)


@pytest.fixture(autouse=True)
def the_store_of_store_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "LevelStore", LevelStore)


test_reads_each_file_and_writes_nothing = base.test_store_reads_each_file_of_a_finished_level_and_writes_nothing
test_refuses_a_missing_level = base.test_store_refuses_a_missing_level_with_the_command_that_creates_it
test_reads_are_verified = base.test_store_reads_are_verified_against_done_json
test_a_train_run_is_one_level = base.test_a_train_run_is_a_one_level_store
test_a_real_lottery_level = base.test_a_real_lottery_level_through_the_store_and_the_finished_loader


def test_files_used_from_memory_are_parents_of_the_job_being_computed(trunk: Path) -> None:  # noqa: F811
    store = LevelStore(trunk, "lottery")
    with integrity.computing() as scope:
        store.used_final(1)
        store.used_rewind_point(pretrained=False)
    level0, level1 = layout.level_dir(trunk, 0), layout.level_dir(trunk, 1)
    recorded = integrity.recorded_files(level1)
    assert recorded is not None
    assert scope == {str((level1 / layout.WEIGHTS_FINAL).absolute()): recorded[layout.WEIGHTS_FINAL],
                     str((level1 / layout.FINAL_MASK).absolute()): recorded[layout.FINAL_MASK],
                     str((level0 / layout.WEIGHTS_START).absolute()):
                         integrity.recorded_files(level0)[layout.WEIGHTS_START]}  # type: ignore[index]
