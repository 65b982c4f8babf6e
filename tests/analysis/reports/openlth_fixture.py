"""A result tree in OpenLTH's own file layout (open_lth core/paths.py, experiments/lottery/runner.py):

    lottery_<md5>/replicate_<R>/level_<L>/main/  hparams.log (level 0), logger, mask.pth, sparsity_report.json,
                                                 model_ep0_it0.pth (start), model_ep<E>_it0.pth (end), checkpoint.pth
The network is an MNIST LeNet 20-10 whose state_dict keys are OpenLTH's (fc_layers.<i>, fc)."""
from __future__ import annotations

import json
from pathlib import Path

import torch

MD5 = "5c2b2b1c83c1b6fd0ac4bbd01f7e2d4e"
MODEL = "mnist_lenet_20_10"
EPOCHS = 2
ITERATIONS_PER_EPOCH = 469  # MNIST at batch 128
HPARAMS_LOG = f"""Dataset Hyperparameters
    * batch_size => 128
    * dataset_name => mnist
Model Hyperparameters
    * model_init => kaiming_normal
    * batchnorm_init => uniform
    * model_name => {MODEL}
Pruning Hyperparameters
    * pruning_fraction => 0.2
    * pruning_strategy => sparse_global
Training Hyperparameters
    * lr => 0.1
    * optimizer_name => sgd
    * training_steps => {EPOCHS}ep"""
SHAPES = {"fc_layers.0.weight": (20, 784), "fc_layers.0.bias": (20,), "fc_layers.1.weight": (10, 20),
          "fc_layers.1.bias": (10,), "fc.weight": (10, 10), "fc.bias": (10,)}
PRUNABLE = ("fc_layers.0.weight", "fc_layers.1.weight", "fc.weight")


def _mask(level: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """OpenLTH's mask.pth: every prunable weight, 0/1 ints; the output layer is kept whole."""
    mask = {}
    for name in PRUNABLE:
        keep = torch.ones(SHAPES[name], dtype=torch.int)
        if name != "fc.weight":
            flat = keep.view(-1)
            flat[torch.randperm(flat.numel(), generator=generator)[:round(flat.numel() * (1 - 0.8 ** level))]] = 0
        mask[name] = keep
    return mask


def _write_job(job: Path, level: int, final: float, generator: torch.Generator) -> dict[str, torch.Tensor]:
    job.mkdir(parents=True)
    mask = _mask(level, generator)
    end = EPOCHS * ITERATIONS_PER_EPOCH
    for step in ((0, 0), (EPOCHS, 0)):
        state = {name: torch.randn(shape, generator=generator) for name, shape in SHAPES.items()}
        for name, keep in mask.items():
            state[name] = state[name] * keep
        torch.save(state, job / f"model_ep{step[0]}_it{step[1]}.pth")
    torch.save(mask, job / "mask.pth")
    total, kept = sum(m.numel() for m in mask.values()), sum(int(m.sum()) for m in mask.values())
    (job / "sparsity_report.json").write_text(json.dumps({"total": float(total), "unpruned": float(kept)}, indent=4))
    torch.save({"ep": EPOCHS, "it": 0, "model_state_dict": {}, "optimizer_state_dict": {}, "logger": ""},
               job / "checkpoint.pth")
    lines = ["test_loss,0,2.30", "test_accuracy,0,0.1", "test_examples,0,10000.0",
             f"test_loss,{end // 2},0.4", f"test_accuracy,{end // 2},{final - 0.01}",
             f"test_loss,{end},0.3", f"test_accuracy,{end},{final}", f"test_examples,{end},10000.0"]
    (job / "logger").write_text("\n".join(lines))  # OpenLTH joins with newlines, no final one
    if level == 0:
        (job / "hparams.log").write_text(HPARAMS_LOG)
    return mask


def write_tree(root: Path, finals: dict[int, list[float]]) -> Path:
    """lottery_<md5> with replicates -> the final test accuracy of each level; the experiment folder."""
    experiment = root / f"lottery_{MD5}"
    generator = torch.Generator().manual_seed(0)
    for replicate, accuracies in finals.items():
        for level, final in enumerate(accuracies):
            _write_job(experiment / f"replicate_{replicate}" / f"level_{level}" / "main", level, final, generator)
    return experiment

