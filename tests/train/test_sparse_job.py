"""The one sparse-job pipeline (train/sparse_job.py): same flags, same start, whatever the command."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from helpers import call_main
from sparselab.sparsity.mask import Mask
from sparselab.train.sparse_job import SparseJob, start_model

STEPS = ["--training_steps=2it", "--threads=1", "--quiet"]
FLAG_SETS = {
    "snip_rigl_scaled": ["--init_density=0.3", "--init_pruning_strategy=snip", "--init_scale=layer_density",
                         "--dst=rigl", "--dst_update_frequency=1"],
    "erk_set_pattern": ["--init_density=0.3", "--init_pruning_distribution=erk", "--dst=set",
                        "--dst_update_frequency=1", "--sparsity_pattern=2:4"],
}


def load(path: Path) -> dict:
    return torch.load(path, weights_only=True)


def only(root: Path, pattern: str) -> Path:
    (d,) = root.glob(pattern)
    return d


@pytest.mark.parametrize("name", sorted(FLAG_SETS))
def test_train_and_lottery_level_0_start_identically(tmp_path, name):
    flags = [f"--root={tmp_path}", *FLAG_SETS[name], *STEPS]
    assert call_main(["train", *flags])[0] == 0
    assert call_main(["lottery", "--levels=0", *flags])[0] == 0
    train = only(tmp_path, "train_*/replicate_1/main")
    level0 = only(tmp_path, "lottery_*/replicate_1") / "level_0" / "main"
    for file in ("mask.pt", "weights_start.pt"):
        a, b = load(train / file), load(level0 / file)
        assert set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a), file
    mask, start = load(train / "mask.pt"), load(train / "weights_start.pt")
    assert all(not start[k][~m].any() for k, m in mask.items())  # the start is masked
    assert (train / "mask_final.pt").exists() and (level0 / "mask_final.pt").exists()  # DST moved both


def _toy() -> tuple[torch.nn.Module, dict, Mask]:
    template = torch.nn.Linear(2, 2, bias=False)
    start = {"weight": torch.tensor([[1.0, -2.0], [3.0, 4.0]])}
    return template, start, Mask({"weight": torch.tensor([[True, False], [False, True]])})


def test_start_model_masks_a_copy_of_the_template():
    template, start, mask = _toy()
    before = template.weight.detach().clone()
    model = start_model(SparseJob(Path("."), None, template, start, None, mask=mask))  # type: ignore[arg-type]
    assert torch.equal(model.weight.detach(), torch.tensor([[1.0, 0.0], [0.0, 4.0]]))
    assert torch.equal(template.weight.detach(), before)  # the template is never trained


def test_start_model_keeps_a_finished_jobs_weights_when_told():
    template, start, mask = _toy()
    kept = start_model(SparseJob(Path("."), None, template, start, None, mask=mask,  # type: ignore[arg-type]
                                 apply_mask=False))
    dense = start_model(SparseJob(Path("."), None, template, start, None))  # type: ignore[arg-type]
    assert torch.equal(kept.weight.detach(), start["weight"]) and torch.equal(dense.weight.detach(), start["weight"])


def test_schedule_resolves_every_step_flag_once():
    from sparselab.core.errors import UsageError
    from sparselab.sparsity.dst_hparams import DSTHparams
    from sparselab.train.hparams import TrainingHparams
    from sparselab.train.steps import Schedule, check_dst_steps

    training = TrainingHparams(training_steps="2ep", warmup_steps="3it", milestone_steps="15it,1ep")
    dst = DSTHparams(dst="granet", dst_final_density=0.1, dst_prune_start="1ep5it")
    schedule = Schedule.resolve(10, training, None, dst)  # 10 iterations per epoch; None: an absent bundle
    assert schedule.end == 20 and schedule["warmup_steps"] == 3 and schedule["milestone_steps"] == (10, 15)
    assert schedule["dst_prune_start"] == 15 and schedule.get("dst_end") is None  # None: the plan's default
    with pytest.raises(UsageError, match="--dst_prune_start=3ep is after the end of training"):
        check_dst_steps(training, dst.replace(dst_prune_start="3ep"), 10)
