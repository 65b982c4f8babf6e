"""`--sparsity_pattern=2:4` end to end: every saved file of train (PaI, DST) and train_branch oneshot_prune
keeps at most 2 non-zeros in every group of 4 consecutive input weights of every pruned tensor."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sparselab import main
from sparselab.core import io as fio
from sparselab.sparsity.pattern import satisfies_pattern

TINY = ["--training_steps=4it", "--checkpoint_seconds=0", "--quiet"]  # a checkpoint at the end, to inspect


def _run(argv: list[str], root: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """main.main in-process; returns the model state of every checkpoint written."""
    saved: list[dict] = []
    original = fio.save_checkpoint

    def spy(path, obj):
        saved.append({k: v.clone() for k, v in obj["model"].items()})
        original(path, obj)

    monkeypatch.setattr(fio, "save_checkpoint", spy)
    assert main.main([*argv, *TINY, f"--root={root}"]) == 0
    return saved


def _check(directory: Path, checkpoints: list[dict]) -> None:
    mask = torch.load(directory / "mask.pt", weights_only=True)
    pruned = [n for n, m in mask.items() if not bool(m.all())]
    assert pruned
    files = {p.name: torch.load(p, weights_only=True) for p in directory.glob("*.pt")}
    assert {"mask.pt", "weights_start.pt", "weights_final.pt"} <= set(files) and checkpoints
    for name, state in [*files.items(), *(("checkpoint", c) for c in checkpoints)]:
        assert satisfies_pattern({n: state[n] for n in pruned}, 2, 4), name


def test_train_pai_and_dst_keep_two_of_four(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for extra in ([], ["--dst=rigl", "--dst_update_frequency=1"]):
        root = tmp_path / ("dst" if extra else "pai")
        saved = _run(["train", "--init_density=0.5", "--sparsity_pattern=2:4", *extra], root, monkeypatch)
        (directory,) = root.glob("train_*/replicate_1/main")
        _check(directory, saved)
        if extra:
            assert (directory / "mask_final.pt").exists()
            moved = fio.read_json(directory / "done.json")
            assert moved.get("dst_moved_total", 0) > 0


def test_oneshot_branch_keeps_two_of_four(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saved = _run(["train_branch", "oneshot_prune", "--sparsity_pattern=2:4", "--pruning_fraction=0.5",
                  "--levels=1", "--create_parents"], tmp_path, monkeypatch)
    (directory,) = tmp_path.glob("train_*/replicate_1/level_1/branch_oneshot_prune_*")
    _check(directory, saved[-1:])


def test_no_pattern_keeps_the_old_hash(tmp_path: Path) -> None:
    from sparselab.core.desc import job_name
    from sparselab.sparsity.pattern_hparams import PatternHparams

    assert job_name("train", {"pattern": PatternHparams()}) == job_name("train", {})
    assert job_name("train", {"pattern": PatternHparams(sparsity_pattern="2:4")}) != job_name("train", {})
