"""`store.tree`: where the jobs of a results tree lie (experiments, replicates, levels, branches) and which
job a path names."""
from __future__ import annotations

from pathlib import Path

import pytest

from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.store import tree


def make_trunk(root: Path, replicates: tuple[int, ...] = (1,), finished: tuple[int, ...] = (0, 1)) -> Path:
    experiment = root / "lottery_0123456789abcdef"
    for r in replicates:
        for level in (0, 1, 2):
            directory = layout.level_dir(experiment / f"replicate_{r}", level)
            directory.mkdir(parents=True)
            if level in finished:
                (directory / layout.DONE).write_text("{}")
        (layout.level_parent(experiment / f"replicate_{r}", 1) / "branch_retrain_abc123").mkdir()
    return experiment


def test_replicates_and_levels_are_listed_by_number_and_branches_by_key(tmp_path: Path) -> None:
    experiment = make_trunk(tmp_path, replicates=(10, 2))
    assert [p.name for p in tree.replicate_dirs(experiment)] == ["replicate_2", "replicate_10"]
    replicate = experiment / "replicate_2"
    assert [lv for lv, _ in tree.level_dirs(replicate)] == [0, 1, 2]
    assert [key for key, _ in tree.branch_dirs(layout.level_parent(replicate, 1))] == ["retrain_abc123"]
    assert tree.branch_dirs(replicate / "level_7") == []
    assert tree.replicate_of(layout.level_dir(replicate, 1)) == 2 and tree.replicate_of(tmp_path) == 1
    assert tree.experiments_under(tmp_path) == [experiment]


def test_a_path_names_its_experiment_and_the_replicates_to_read(tmp_path: Path) -> None:
    experiment = make_trunk(tmp_path, replicates=(1, 2))
    assert tree.experiment_of(experiment) == (experiment, [experiment / "replicate_1", experiment / "replicate_2"])
    inside = layout.level_dir(experiment / "replicate_2", 1)
    assert tree.experiment_of(inside) == (experiment, [experiment / "replicate_2"])
    with pytest.raises(UsageError, match="is a results root holding 1 experiment"):
        tree.experiment_of(tmp_path)
    with pytest.raises(UsageError, match="no such directory"):
        tree.experiment_of(tmp_path / "nope")


def test_a_job_path_is_the_last_finished_level_unless_a_level_is_given(tmp_path: Path) -> None:
    experiment = make_trunk(tmp_path)
    assert tree.job_directory(experiment) == layout.level_dir(experiment / "replicate_1", 1)
    assert tree.job_directory(experiment, level=2) == layout.level_dir(experiment / "replicate_1", 2)
    with pytest.raises(UsageError, match="has no level 5; it has levels 0, 1, 2"):
        tree.job_directory(experiment, level=5)
    never = make_trunk(tmp_path / "other", finished=())
    with pytest.raises(UsageError, match="no finished level in"):
        tree.job_directory(never)
    several = make_trunk(tmp_path / "several", replicates=(1, 2))
    with pytest.raises(UsageError, match="holds 2 replicates; give one of them"):
        tree.job_directory(several)
