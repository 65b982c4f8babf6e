"""The read-only store of finished levels (store/levels.py) and the one finished-job loader
(train/finished.py): what they read, what they refuse, and that they never write."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sparselab.core import integrity
from sparselab.core import io as fio
from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.core.integrity import DamagedFile
from sparselab.sparsity.dst.build import save_final_mask
from sparselab.sparsity.mask import Mask
from sparselab.train import job
from sparselab.store.network import load_network as load_finished
from sparselab.store.levels import LevelStore
from tests.helpers import call_main

RECORD = {"dataset": {"dataset_name": "digits"}, "model": {"model_name": "mnist_lenet_300_100"}}


def toy_state(seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {"fc.weight": torch.randn(3, 4, generator=g), "fc.bias": torch.randn(3, generator=g)}


def finish(directory: Path, start: dict, final: dict, mask: Mask | None, final_mask: Mask | None = None) -> None:
    """A finished job written by the real job machinery (hparams.json, files, sealed done.json)."""
    directory.mkdir(parents=True)

    def work() -> dict:
        fio.save_torch(directory / layout.WEIGHTS_START, start)
        fio.save_torch(directory / layout.WEIGHTS_FINAL, final)
        if mask is not None:
            mask.save(directory)
        if final_mask is not None:
            save_final_mask(directory, final_mask)
        return {"density": mask.density if mask is not None else 1.0}

    job.run_once(directory, RECORD, work, label="toy", verbose=False)


def snapshot(root: Path) -> dict[str, int]:
    """Every path under `root` with its mtime in ns (directories included: a new file changes theirs)."""
    return {str(p): p.stat().st_mtime_ns for p in [root, *root.rglob("*")]}


@pytest.fixture
def trunk(tmp_path: Path) -> Path:
    """replicate_1 of a toy trunk: level 0 dense, level 1 pruned with a start and a (moved) final mask."""
    replicate = tmp_path / "lottery_0123456789abcdef" / "replicate_1"
    start_mask = Mask({"fc.weight": torch.tensor([[1, 1, 0, 0]] * 3, dtype=torch.bool)})
    moved = Mask({"fc.weight": torch.tensor([[1, 0, 1, 0]] * 3, dtype=torch.bool)})
    finish(layout.level_dir(replicate, 0), toy_state(0), toy_state(1), Mask({"fc.weight": torch.ones(3, 4).bool()}))
    finish(layout.level_dir(replicate, 1), toy_state(2), toy_state(3), start_mask, final_mask=moved)
    return replicate


def test_store_reads_each_file_of_a_finished_level_and_writes_nothing(trunk: Path) -> None:
    before = snapshot(trunk.parent)
    store = LevelStore(trunk, "lottery")
    assert [store.done(level) for level in (0, 1, 2)] == [True, True, False]
    assert torch.equal(store.start_weights(1)["fc.weight"], toy_state(2)["fc.weight"])
    assert torch.equal(store.final_weights(0)["fc.bias"], toy_state(1)["fc.bias"])
    assert store.start_mask(1)["fc.weight"][0].tolist() == [True, True, False, False]
    assert store.mask(1)["fc.weight"][0].tolist() == [True, False, True, False]  # mask_final.pt wins
    assert store.mask(0).density == 1.0  # no final mask: the start mask
    assert store.metrics(1)["density"] == pytest.approx(0.5)
    assert snapshot(trunk.parent) == before


def test_store_refuses_a_missing_level_with_the_command_that_creates_it(trunk: Path) -> None:
    store = LevelStore(trunk, "lottery")
    for read in (store.start_weights, store.final_weights, store.mask, store.start_mask, store.metrics,
                 store.require):
        with pytest.raises(UsageError, match=r"^level 2 of .*replicate_1 is missing; create it with: "
                                             r"python main.py lottery <same flags> --levels=2$"):
            read(2)
    with pytest.raises(UsageError, match="the pretraining .* is missing"):
        store.pretrain_weights()
    assert not layout.level_parent(trunk, 2).exists()  # refusing created nothing


def test_store_reads_are_verified_against_done_json(trunk: Path) -> None:
    path = layout.level_dir(trunk, 1) / layout.WEIGHTS_FINAL
    fio.save_torch(path, toy_state(9))  # a valid torch file, but not the one done.json recorded
    with pytest.raises(DamagedFile, match="does not match"):
        LevelStore(trunk, "lottery").final_weights(1)


def test_a_train_run_is_a_one_level_store(tmp_path: Path) -> None:
    replicate = tmp_path / "train_0123456789abcdef" / "replicate_1"
    finish(layout.train_dir(replicate), toy_state(0), toy_state(1), mask=None)
    store = LevelStore.of_train_run(replicate)
    assert store.directory(3) == replicate / layout.MAIN  # every branch level reads the one run
    assert store.mask(0) is None and store.start_mask(0) is None  # dense: no mask file
    assert torch.equal(store.final_weights(0)["fc.weight"], toy_state(1)["fc.weight"])
    missing = LevelStore.of_train_run(tmp_path / "train_other" / "replicate_1")
    with pytest.raises(UsageError, match=r"^the train run .* is missing; create it with: python main.py train"):
        missing.start_weights(0)


def test_a_real_lottery_level_through_the_store_and_the_finished_loader(tmp_path: Path) -> None:
    """Level 1 of `lottery` rewinds to level 0's start under the level-1 mask, which prunes 20 % of the
    counted weights; `load_finished` rebuilds exactly the final weights and mask the store reads."""
    flags = ["lottery", "--pruning_strategy=random", "--levels=1", "--training_steps=2it", "--root", str(tmp_path)]
    status, out, err = call_main(flags)
    assert status == 0, err
    replicate = Path(call_main([*flags, "--print_path"])[1].strip())
    before = snapshot(replicate)
    store = LevelStore(replicate, "lottery")
    mask = store.mask(1)
    assert mask.density == pytest.approx(0.8, abs=1e-3)
    start0, start1 = store.start_weights(0), store.start_weights(1)
    for name in mask:
        assert torch.equal(start1[name], start0[name] * mask[name])
    loaded = load_finished(store.directory(1))
    assert loaded.mask is not None and all(torch.equal(loaded.mask[n], mask[n]) for n in mask)
    final = store.final_weights(1)
    assert all(torch.equal(final[n], v) for n, v in loaded.model.state_dict().items())
    assert snapshot(replicate) == before
    status, _, err = call_main(["lottery_branch", "randomly_reinitialize", *flags[1:-2], "--root", str(tmp_path),
                                "--levels=2"])
    assert status == 2 and err.startswith("error: level 2 of ") and err.count("\n") == 1


def test_files_used_from_memory_are_parents_of_the_job_being_computed(trunk: Path) -> None:
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
