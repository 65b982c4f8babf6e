"""Pruning at initialisation through the commands: static sparse training, IMP from a sparse network."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import main as cli
from helpers import run_main

FLAGS = ["--training_steps=2ep", "--threads=1", "--quiet"]


def load(path: Path) -> dict:
    return torch.load(path, weights_only=True)


def test_static_sparse_training_keeps_its_mask(tmp_path):
    assert cli.main(["train", f"--root={tmp_path}", "--init_density=0.1", "--init_pruning_strategy=random",
                     "--init_pruning_distribution=erk", *FLAGS]) == 0
    (d,) = tmp_path.glob("train_*/replicate_1/main")
    mask = load(d / "mask.pt")
    assert sum(int(m.sum()) for m in mask.values()) == round(0.1 * sum(m.numel() for m in mask.values()))
    final = load(d / "weights_final.pt")
    for name, m in mask.items():
        assert (final[name][~m] == 0).all() and (final[name][m] != 0).float().mean() > 0.99
    done = json.loads((d / "done.json").read_text())
    assert done["density"] == pytest.approx(0.1, abs=1e-4) and done["final_test_accuracy"] > 0.5


def test_dense_train_hash_is_unchanged_by_the_init_pruning_bundle(tmp_path):
    dense = run_main("train", f"--root={tmp_path}", "--print_path").stdout.strip()
    explicit = run_main("train", f"--root={tmp_path}", "--print_path", "--init_pruning_strategy=random",
                        "--init_scale=none").stdout.strip()
    sparse = run_main("train", f"--root={tmp_path}", "--print_path", "--init_density=0.5").stdout.strip()
    assert dense == explicit != sparse


def test_lottery_from_a_sparse_network(tmp_path):
    assert cli.main(["lottery", f"--root={tmp_path}", "--levels=2", "--init_density=0.3",
                     "--init_pruning_distribution=er", "--init_scale=layer_density", *FLAGS]) == 0
    (exp,) = tmp_path.glob("lottery_*/replicate_1")
    total = None
    kept = []
    for level in range(3):
        mask = load(exp / f"level_{level}" / "main" / "mask.pt")
        total = sum(m.numel() for m in mask.values())
        kept.append(sum(int(m.sum()) for m in mask.values()))
    assert kept[0] == round(0.3 * total)
    assert kept[1] == kept[0] - round(0.2 * kept[0]) and kept[2] == kept[1] - round(0.2 * kept[1])
    # --init_scale=layer_density: kept weights of level 0 start at init / sqrt(tensor density)
    import models.registry as registry
    from foundations.seeds import derive_seed

    init = registry.build("lenet_300_100", (1, 8, 8), 10, seed=derive_seed("init", 1)).state_dict()
    start = load(exp / "level_0" / "main" / "weights_start.pt")
    mask0 = load(exp / "level_0" / "main" / "mask.pt")
    for name, m in mask0.items():
        density = int(m.sum()) / m.numel()
        assert torch.allclose(start[name][m], init[name][m] / density ** 0.5)
    assert torch.equal(start["fc.weight"], init["fc.weight"])  # output layer ignored by the digits preset


@pytest.mark.parametrize("flags, fragment", [
    (["--init_density=0"], "--init_density must be in (0, 1]"),
    (["--init_density=1.5"], "--init_density must be in (0, 1]"),
    (["--init_density=0.1", "--init_pruning_strategy=snipe"], "--init_pruning_strategy"),
    (["--init_density=0.1", "--pruning_ratio_from=magnitude"], "--pruning_ratio_from"),
])
def test_bad_input(tmp_path, flags, fragment):
    proc = run_main("train", f"--root={tmp_path}", *flags, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []
