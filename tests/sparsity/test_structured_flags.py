"""Structured-sparsity flags are refused (one line, exit 2, nothing written) where they cannot apply."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.test_flags_apply import call

REFUSED = [
    (["train", "--sparsity_pattern=2:4"], "--sparsity_pattern exists only with --init_density"),
    (["train", "--init_density=0.6", "--sparsity_pattern=2:4"], "at most density 2/4"),
    (["train", "--init_density=0.5", "--sparsity_pattern=2:4", "--repair_flow"], "--repair_flow"),
    (["train", "--init_density=0.5", "--sparsity_pattern=4:4"], "1 <= N < M"),
    (["train", "--ensemble=pf", "--sparsity_pattern=2:4"], "--sparsity_pattern exists only with --init_density"),
    (["lottery", "--levels=1", "--bn_sparsity_regularization=0.001"],
     "exists only with --pruning_strategy=network_slimming"),
    (["lottery", "--levels=1", "--pruning_strategy=filter_l1", "--sparsity_pattern=2:4"], "whole filters"),
    (["lottery", "--levels=1", "--pruning_strategy=filter_l1", "--pruning_count_rule=openlth"],
     "--pruning_count_rule exists only with --pruning_strategy other than"),
    (["lottery", "--levels=1", "--pruning_strategy=filter_l1", "--pruning_distribution=erk"], "globally or layerwise"),
    (["lottery", "--levels=1", "--pruning_strategy=filter_l1", "--pruning_seed=3"],
     "--pruning_seed exists only with --pruning_strategy other than"),
    (["train_branch", "oneshot_prune", "--levels=1", "--sparsity_pattern=2:4", "--create_parents"], "level 1 is 0.8"),
    (["train_branch", "oneshot_prune", "--levels=1", "--pruning_strategy=filter_l1", "--create_parents"],
     "channel pruning runs as pruning levels"),
]


@pytest.mark.parametrize("argv,message", REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_refused(argv: list[str], message: str, tmp_path: Path) -> None:
    status, _, err = call([*argv, "--training_steps=2it", f"--root={tmp_path}"])
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith("error:") and message in err, err
    assert not tmp_path.exists() or not any(tmp_path.rglob("*.json"))
