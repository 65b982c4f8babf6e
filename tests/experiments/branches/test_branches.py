"""Branches on a 4-level digits lottery trunk: trunk untouched, branch semantics, reuse, errors."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch

from sparselab import main as cli
from helpers import run_main, start_main

TRUNK = ["--training_steps=2ep", "--threads=1", "--quiet"]


def digest_tree(directory: Path) -> dict[str, str]:
    """Hash of every trunk file (branch folders excluded)."""
    out = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and "branch_" not in str(path.relative_to(directory)):
            out[str(path.relative_to(directory))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def trunk(tmp_path_factory):
    root = tmp_path_factory.mktemp("trunk")
    assert cli.main(["lottery", f"--root={root}", "--levels=4", *TRUNK]) == 0
    (exp,) = root.glob("lottery_*/replicate_1")
    return root, exp


def branch(root: Path, name: str, *flags: str, capsys=None) -> str:
    assert cli.main(["lottery_branch", name, f"--root={root}", *TRUNK, *flags]) == 0
    return capsys.readouterr().out if capsys else ""


def branch_dir(exp: Path, level: int, name: str) -> Path:
    (d,) = (exp / f"level_{level}").glob(f"branch_{name}_*")
    return d


def load(path: Path) -> dict:
    return torch.load(path, weights_only=True)


def test_all_branches_leave_the_trunk_untouched_and_never_train_it(trunk, capsys):
    root, exp = trunk
    before = digest_tree(exp)
    capsys.readouterr()
    outputs = [
        branch(root, "randomly_reinitialize", "--levels=1-4", capsys=capsys),
        branch(root, "randomly_prune", "--levels=2,4", capsys=capsys),
        branch(root, "oneshot_prune", "--levels=0-4", capsys=capsys),
        branch(root, "retrain", "--levels=0,2,4", "--retrain_t_training_steps=4ep",
               "--retrain_t_regain_pruned_weights_steps=2ep", capsys=capsys),
    ]
    assert digest_tree(exp) == before
    for out in outputs:
        assert "[level " not in out  # the trunk's progress prefix: no trunk level trained


def test_randomly_reinitialize_keeps_mask_changes_weights(trunk):
    root, exp = trunk
    branch(root, "randomly_reinitialize", "--levels=2")
    d = branch_dir(exp, 2, "randomly_reinitialize")
    trunk_mask = load(exp / "level_2" / "main" / "mask.pt")
    mask = load(d / "mask.pt")
    assert all(torch.equal(trunk_mask[k], mask[k]) for k in trunk_mask)
    trunk_start = load(exp / "level_2" / "main" / "weights_start.pt")
    start = load(d / "weights_start.pt")
    for name, m in mask.items():
        assert (start[name][~m] == 0).all()
        assert (start[name][m] != trunk_start[name][m]).all()
    assert json.loads((d / "done.json").read_text())["final_test_accuracy"] > 0.5


@pytest.mark.parametrize("strategy", ["layerwise", "global", "even", "erk"])
def test_randomly_prune_preserves_chosen_densities(trunk, strategy):
    root, exp = trunk
    branch(root, "randomly_prune", "--levels=3", f"--strategy={strategy}", "--seed=5")
    (d,) = [p for p in (exp / "level_3").glob("branch_randomly_prune_*")
            if json.loads((p / "hparams.json").read_text())["branch_hparams"]["branch"]["strategy"] == strategy]
    trunk_mask, mask = load(exp / "level_3" / "main" / "mask.pt"), load(d / "mask.pt")
    total = sum(m.numel() for m in mask.values())
    assert sum(int(m.sum()) for m in mask.values()) == sum(int(m.sum()) for m in trunk_mask.values())
    assert any(not torch.equal(mask[k], trunk_mask[k]) for k in mask)
    if strategy == "layerwise":
        assert all(int(mask[k].sum()) == int(trunk_mask[k].sum()) for k in mask)
    if strategy == "even":
        density = sum(int(m.sum()) for m in mask.values()) / total
        for m in mask.values():
            assert abs(int(m.sum()) - density * m.numel()) <= 1


def test_oneshot_prune_has_exact_densities(trunk):
    root, exp = trunk
    branch(root, "oneshot_prune", "--levels=0-4")
    for level in range(5):
        mask = load(branch_dir(exp, level, "oneshot_prune") / "mask.pt")
        total = sum(m.numel() for m in mask.values())
        assert sum(int(m.sum()) for m in mask.values()) == round(0.8 ** level * total)


def test_redense_weights_restart_at_zero_and_train(trunk):
    root, exp = trunk
    branch(root, "retrain", "--levels=3", "--retrain_t_training_steps=4ep",
           "--retrain_t_regain_pruned_weights_steps=2ep")
    d = branch_dir(exp, 3, "retrain")
    mask = load(exp / "level_3" / "main" / "mask.pt")
    final = load(d / "weights_final.pt")
    for name, m in mask.items():
        assert (final[name][~m] != 0).float().mean() > 0.9  # formerly pruned weights trained
    rows = (d / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    density = [float(r.split(",")[header.index("density")]) for r in rows[1:]]
    assert density[0] < 1 and density[-1] == 1.0
    done = json.loads((d / "done.json").read_text())
    assert "final_test_accuracy" in done and done["density"] == 1.0


def test_redense_regrown_weights_start_at_zero():
    from sparselab.sparsity.mask import Mask
    from sparselab.sparsity.masked import MaskHook

    model = torch.nn.Sequential(torch.nn.Linear(4, 3))
    mask = Mask({"0.weight": torch.rand(3, 4) > 0.5})
    hook = MaskHook(mask, regain_at_iteration=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    hook.on_start(model, opt, 0)
    for it in range(2):
        opt.zero_grad()
        model(torch.randn(8, 4)).sum().backward()
        if it == 1:
            pruned = ~mask["0.weight"]
            assert (model[0].weight[pruned] == 0).all()
            assert (opt.state[model[0].weight]["momentum_buffer"][pruned] == 0).all()
        hook.before_optimizer_step(model, opt, it)
        opt.step()
        hook.after_optimizer_step(model, opt, it)
    assert (model[0].weight[~mask["0.weight"]] != 0).any()


def test_branch_hash_depends_only_on_branch_flags(trunk, capsys):
    root, exp = trunk
    cli.main(["lottery_branch", "randomly_prune", f"--root={root}", *TRUNK, "--levels=1", "--dry_run"])
    a = capsys.readouterr().out
    cli.main(["lottery_branch", "randomly_prune", f"--root={root}", *TRUNK, "--levels=1", "--dry_run",
              "--strategy=layerwise", "--create_parents"])
    b = capsys.readouterr().out
    cli.main(["lottery_branch", "randomly_prune", f"--root={root}", *TRUNK, "--levels=1", "--dry_run", "--seed=3"])
    c = capsys.readouterr().out
    assert a.split()[2] == b.split()[2] != c.split()[2]


def test_second_run_does_no_work(trunk, capsys):
    root, exp = trunk
    branch(root, "randomly_reinitialize", "--levels=1")
    capsys.readouterr()
    assert cli.main(["lottery_branch", "randomly_reinitialize", f"--root={root}", "--training_steps=2ep",
                     "--levels=1"]) == 0
    out = capsys.readouterr().out
    assert "already done" in out and "[branch level 1] ep" not in out


def test_two_processes_on_one_branch_level_train_once(trunk):
    root, exp = trunk
    flags = ["lottery_branch", "randomly_reinitialize", f"--root={root}", "--training_steps=2ep", "--threads=1",
             "--levels=4", "--seed=11"]
    procs = [start_main(*flags) for _ in range(2)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sum("[branch level 4] ep" in o for o in outs) == 1
    assert sum("already done" in o for o in outs) == 1


def test_missing_trunk_level_names_the_command(tmp_path):
    proc = run_main("lottery_branch", "randomly_reinitialize", f"--root={tmp_path}", "--levels=2", check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "python main.py lottery" in lines[0] and "--levels=2" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_create_parents_trains_the_trunk_first(tmp_path, capsys):
    assert cli.main(["lottery_branch", "randomly_reinitialize", f"--root={tmp_path}", *TRUNK, "--levels=1",
                     "--create_parents"]) == 0
    (exp,) = tmp_path.glob("lottery_*/replicate_1")
    assert (exp / "level_1" / "main" / "done.json").exists()
    assert (branch_dir(exp, 1, "randomly_reinitialize") / "done.json").exists()


def test_branch_without_name_lists_branches():
    proc = run_main("lottery_branch", check=False)
    assert proc.returncode == 0  # the menu of branches is an answer, not an error
    for name in ("retrain", "randomly_reinitialize", "randomly_prune", "oneshot_prune"):
        assert name in proc.stdout


def test_train_branch_oneshot_and_retrain_on_a_dense_run(tmp_path):
    flags = [f"--root={tmp_path}", *TRUNK]
    assert cli.main(["train_branch", "oneshot_prune", *flags, "--levels=2", "--create_parents"]) == 0
    (rep,) = tmp_path.glob("train_*/replicate_1")
    before = digest_tree(rep / "main")
    (d,) = (rep / "level_2").glob("branch_oneshot_prune_*")
    mask = load(d / "mask.pt")
    total = sum(m.numel() for m in mask.values())
    assert sum(int(m.sum()) for m in mask.values()) == round(0.64 * total)
    assert cli.main(["train_branch", "retrain", *flags, "--levels=0", "--start_from=final",
                     "--retrain_t_training_steps=1ep"]) == 0
    (r,) = (rep / "level_0").glob("branch_retrain_*")
    assert json.loads((r / "done.json").read_text())["iterations"] == 23
    assert digest_tree(rep / "main") == before
    with pytest.raises(SystemExit):
        cli.main(["train_branch", "randomly_prune", *flags, "--levels=1"])
