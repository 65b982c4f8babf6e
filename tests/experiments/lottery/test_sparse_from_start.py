"""Pruning at initialisation through the commands: static sparse training, IMP from a sparse network."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from sparselab import main as cli
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
    explicit = run_main("train", f"--root={tmp_path}", "--print_path", "--init_density=none").stdout.strip()
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
    # fc.weight (ignored by the digits preset) is pruned at initialisation, then kept as it is and not counted
    fc = [int(load(exp / f"level_{level}" / "main" / "mask.pt")["fc.weight"].sum()) for level in range(3)]
    assert fc[0] == fc[1] == fc[2]  # (ER at 0.3 keeps this small output layer dense)
    counted = [k - f for k, f in zip(kept, fc)]
    assert counted[1] == counted[0] - round(0.2 * counted[0]) and counted[2] == counted[1] - round(0.2 * counted[1])
    # --init_scale=layer_density: kept weights of level 0 start at init / sqrt(tensor density)
    import sparselab.models.registry as registry
    from sparselab.core.seeds import derive_seed

    init = registry.build("lenet_300_100", (1, 8, 8), 10, seed=derive_seed("init", 1)).state_dict()
    start = load(exp / "level_0" / "main" / "weights_start.pt")
    mask0 = load(exp / "level_0" / "main" / "mask.pt")
    for name, m in mask0.items():
        density = int(m.sum()) / m.numel()
        assert torch.allclose(start[name][m], init[name][m] / density ** 0.5)
    assert (start["fc.weight"][~mask0["fc.weight"]] == 0).all()  # pruned at init like in `train`


def test_absolute_schedule_prunes_to_nominal_density_targets(tmp_path):
    """--pruning_schedule=absolute (IMP from ER, Gadhikar et al. 2023): level L keeps round(0.3 * 0.8^L * N) of
    the N counted weights; balanced at 0.3 realises less, so a level whose target is above it keeps its mask."""
    assert cli.main(["lottery", f"--root={tmp_path}", "--levels=3", "--init_density=0.3",
                     "--init_pruning_distribution=balanced", "--pruning_schedule=absolute", *FLAGS]) == 0
    (exp,) = tmp_path.glob("lottery_*/replicate_1")
    masks = [load(exp / f"level_{level}" / "main" / "mask.pt") for level in range(4)]
    counted = [{n: m for n, m in mask.items() if n != "fc.weight"} for mask in masks]  # digits ignores fc.weight
    total = sum(m.numel() for m in counted[0].values())
    kept = [sum(int(m.sum()) for m in c.values()) for c in counted]
    # balanced at 0.3: the 10 040 of 50 200 weights each layer would get exceed fc.weight's 1000, not redistributed
    assert kept[0] == 2 * round(0.3 * 50200 / 3) < round(0.3 * 0.8 * total)
    assert all(torch.equal(masks[1][n], masks[0][n]) for n in masks[0])  # level 1: target 0.24 > 0.204
    for level in (2, 3):
        assert kept[level] == round(0.3 * 0.8 ** level * total) < kept[level - 1]
    proc = run_main("lottery", f"--root={tmp_path}", "--help")
    assert "cannot prune: it keeps its mask unchanged" in " ".join(proc.stdout.split())


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


# ----- issue 12: the published defaults through the commands ---------------------------------
ONE_STEP = ["--training_steps=1it", "--threads=1"]


def only_dir(root: Path, pattern: str) -> Path:
    (d,) = root.glob(pattern)
    return d


def test_snip_default_is_the_global_job(tmp_path, capsys):
    flags = ["train", f"--root={tmp_path}", "--init_density=0.1", "--init_pruning_strategy=snip", *ONE_STEP]
    assert cli.main([*flags, "--print_path"]) == 0
    assert cli.main([*flags, "--init_pruning_distribution=global", "--print_path"]) == 0
    assert cli.main([*flags, "--init_pruning_distribution=erk", "--print_path"]) == 0
    default, explicit, erk = capsys.readouterr().out.split()
    assert default == explicit != erk
    assert cli.main(flags) == 0
    out = capsys.readouterr().out
    assert "* init_pruning_distribution = global" in out and "initial mask: snip x global" in out
    d = only_dir(tmp_path, "train_*/replicate_1/main")
    assert json.loads((d / "hparams.json").read_text())["init_pruning"]["init_pruning_distribution"] == "global"


def test_erk_plus_keeps_the_output_layer_dense(tmp_path):
    assert cli.main(["lottery", f"--root={tmp_path}", "--levels=0", "--init_density=0.1",
                     "--init_pruning_distribution=erk_plus", "--pruning_layers_to_ignore=", *ONE_STEP,
                     "--quiet"]) == 0
    mask = load(only_dir(tmp_path, "lottery_*/replicate_1") / "level_0" / "main" / "mask.pt")
    assert bool(mask["fc.weight"].all())
    assert sum(int(m.sum()) for m in mask.values()) == round(0.1 * sum(m.numel() for m in mask.values()))


def test_train_and_lottery_build_the_same_initial_mask(tmp_path):
    flags = ["--init_density=0.1", "--init_pruning_strategy=snip", *ONE_STEP, "--quiet"]
    assert cli.main(["train", f"--root={tmp_path}", *flags]) == 0
    assert cli.main(["lottery", f"--root={tmp_path}", "--levels=0", *flags]) == 0
    trained = load(only_dir(tmp_path, "train_*/replicate_1/main") / "mask.pt")
    level0 = load(only_dir(tmp_path, "lottery_*/replicate_1") / "level_0" / "main" / "mask.pt")
    assert set(trained) == set(level0) and "fc.weight" in level0    # the preset's ignore list is for the levels
    assert all(torch.equal(trained[n], level0[n]) for n in trained)


def test_balanced_reports_the_density_it_realises(tmp_path, capsys):
    # digits LeNet: 19,200 + 30,000 + 1,000 weights; X = 0.2 * 50,200 / 3 per tensor, fc capped at 1,000
    realised = round(2 * 0.2 * 50_200 / 3 + 1_000) / 50_200
    assert cli.main(["lottery", f"--root={tmp_path}", "--levels=0", "--init_density=0.2",
                     "--init_pruning_distribution=balanced", *ONE_STEP]) == 0
    out = capsys.readouterr().out
    assert f"density {realised:.4f} (--init_density=0.2)" in out
    table_row = [line.split() for line in out.splitlines() if line.split()[:1] == ["0"]][-1]
    assert table_row[1] == f"{realised:.4f}"
    done = json.loads((only_dir(tmp_path, "lottery_*/replicate_1") / "level_0" / "main" / "done.json").read_text())
    assert done["density"] == pytest.approx(realised, abs=1e-6)


def test_help_states_what_each_criterion_sees():
    # the pruning-at-init flags exist once --init_density is given; grasp's sample count once grasp is chosen
    text = " ".join(run_main("train", "--init_density=0.1", "--init_pruning_strategy=grasp", "--help").stdout.split())
    for phrase in ("snip: |w dL/dw|, train mode (batch statistics), sees ONE training batch",
                   "grasp: w*(Hg), train mode, temperature 200, sees --grasp_samples_per_class training examples",
                   "synflow: |w dR/dw|", "eval mode", "sees no data", "exactly round(d * N) are kept",
                   "(25 as in Random_Pruning; 10 before)", "(default: 25)"):
        assert phrase in text, phrase


def test_absolute_schedule_refuses_a_count_rule(tmp_path):
    proc = run_main("lottery", f"--root={tmp_path}", "--pruning_schedule=absolute", "--pruning_count_rule=openlth",
                    "--print_path", check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "--pruning_count_rule" in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []
