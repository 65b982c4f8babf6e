"""Flags that exist only where they do something: --workers with several jobs, --dataset_root with files to read."""
from __future__ import annotations

import pytest

from sparselab.core.errors import UsageError
from sparselab.platforms import grid
from tests.helpers import call_main


def _flags_in_help(*argv: str) -> str:
    code, out, _ = call_main([*argv, "--help"])
    assert code == 0
    return out


@pytest.mark.parametrize("argv, present", [
    (("lottery",), False),                                  # one job: nothing to run in parallel
    (("train",), False),
    (("lottery", "--replicates=1-2"), True),
    (("train", "--sweep", "lr=0.1,0.2"), True),
    (("lottery_branch", "randomly_prune"), True),           # a branch runs its levels as jobs
])
def test_workers_exists_only_where_several_jobs_run(argv, present):
    assert ("[--workers " in _flags_in_help(*argv)) is present


def test_workers_on_one_job_is_refused_before_anything_runs():
    with pytest.raises(UsageError, match="--workers runs several jobs at once"):
        grid.expand("lottery", ["--workers=2", "--levels=1"])
    assert grid.expand("lottery", ["--workers=2", "--replicates=1-2"]).workers == 2
    assert grid.expand("lottery", ["--workers=2", "--levels=0,1"], branch=True).workers == 2


@pytest.mark.parametrize("dataset, present", [
    ("digits", False), ("breast_cancer", False), ("wine", False), ("mnist", True), ("cifar10", True)])
def test_dataset_root_exists_only_for_datasets_read_from_files(dataset, present):
    assert ("[--dataset_root " in _flags_in_help("train", f"--dataset_name={dataset}")) is present


def test_dataset_root_exists_for_an_out_of_distribution_set_read_from_files():
    assert "[--dataset_root " in _flags_in_help("evaluate", "train", "--ood_dataset=fashion_mnist")
    assert "[--dataset_root " not in _flags_in_help("evaluate", "train")


def test_dataset_root_with_the_embedded_digits_is_refused_by_the_parser():
    code, _, err = call_main(["train", "--dataset_root=/tmp", "--training_steps=1it"])
    assert code == 2 and "--dataset_root exists only with a --dataset_name read from files" in err
