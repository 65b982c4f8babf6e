"""cifar_resnet_20 and cifar_vgg_16 presets train end to end on files in the CIFAR-10 pickle format."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np

from sparselab import main as cli


def write_cifar10(root: Path, per_batch: int = 40) -> None:
    rng = np.random.default_rng(0)
    base = root / "cifar10" / "cifar-10-batches-py"
    base.mkdir(parents=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        batch = {b"batch_label": name.encode(), b"labels": rng.integers(0, 10, per_batch).tolist(),
                 b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)}
        with open(base / name, "wb") as f:
            pickle.dump(batch, f)


def test_resnet20_and_vgg16_train_on_cifar_format_files(tmp_path, capsys):
    write_cifar10(tmp_path / "data")
    for preset in ("cifar_resnet_20", "cifar_vgg_16"):
        assert cli.main(["train", f"--default_hparams={preset}", f"--dataset_root={tmp_path / 'data'}",
                         f"--root={tmp_path / 'runs'}", "--training_steps=3it", "--batch_size=32",
                         "--threads=1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.count("result: final test accuracy") == 2
    dones = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("train_*/replicate_1/main/done.json")]
    assert len(dones) == 2 and all(d["iterations"] == 3 for d in dones)
    hparams = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("train_*/replicate_1/main/hparams.json")]
    assert sorted(h["model"]["model_name"] for h in hparams) == ["cifar_resnet_20", "cifar_vgg_16"]
    assert all(h["dataset"]["dataset_name"] == "cifar10" for h in hparams)
