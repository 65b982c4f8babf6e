"""Export: a channel-pruned ResNet-20 becomes a smaller module with equal outputs and fewer multiply-adds;
CSR linear layers equal the masked dense LeNet; the command writes and the loader reads the files."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sparselab import main
from sparselab.analysis.export.formats import build_payload
from sparselab.analysis.export.loader import load_exported
from sparselab.core import io as fio
from sparselab.models import registry
from sparselab.models.flops import multiply_adds
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.hparams import PruningHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune, prune_to_density


def _meta(name: str, shape: tuple) -> dict:
    return {"model_name": name, "input_shape": list(shape), "num_classes": 10, "job": "test"}


def _roundtrip(tmp_path: Path, payload: dict) -> torch.nn.Module:
    fio.save_torch(tmp_path / "m.pt", payload)
    return load_exported(tmp_path / "m.pt")


def test_channel_pruned_resnet20_export_is_smaller_and_equal(tmp_path: Path) -> None:
    shape = (3, 8, 8)
    model = registry.build("cifar_resnet_20", shape, 10, seed=0)
    with torch.no_grad():  # non-trivial BN statistics, as after training
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.bias.uniform_(-0.2, 0.2)
    mask = prune(model, Mask.ones_like(model), PruningHparams(pruning_strategy="filter_l2", pruning_fraction=0.5,
                                                              pruning_distribution="layerwise"), ScoreContext(seed=0))
    mask.apply_(model)
    model.eval()
    exported = _roundtrip(tmp_path, build_payload(model, mask, "channels", _meta("cifar_resnet_20", shape)))
    assert [b.conv1.out_channels for b in exported.blocks] == [8, 8, 8, 16, 16, 16, 32, 32, 32]
    assert exported.blocks[0].bn1.num_features == 8 and exported.blocks[0].conv2.in_channels == 8
    x = torch.randn(4, *shape)
    with torch.no_grad():
        assert torch.allclose(exported(x), model(x), atol=1e-5, rtol=0)
    before, after = multiply_adds(model, shape), multiply_adds(exported, shape)
    assert after.dense < before.dense
    assert after.dense == multiply_adds(model, shape, mask=mask.state_dict()).sparse  # the removed weights, no more


def test_csr_lenet_at_five_percent_equals_the_masked_model(tmp_path: Path) -> None:
    model = registry.build("lenet_300_100", (1, 8, 8), 10, seed=0)
    mask = prune_to_density(model, Mask.ones_like(model), 0.05, "magnitude", "global", ScoreContext(seed=0))
    mask.apply_(model)
    payload = build_payload(model, mask, "csr", _meta("lenet_300_100", (1, 8, 8)))
    assert payload["csr"] == ["fc_layers.0", "fc_layers.1", "fc"]
    assert "fc_layers.0.weight" not in payload["state"]
    exported = _roundtrip(tmp_path, payload)
    x = torch.randn(5, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(exported(x), model.eval()(x), atol=1e-5, rtol=0)


def test_export_command_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = tmp_path / "runs"
    assert main.main(["train", "--init_density=0.5", "--training_steps=2it", "--quiet", f"--root={root}"]) == 0
    (job,) = root.glob("train_*/replicate_1/main")
    assert main.main(["export", str(job), "--format=csr"]) == 0
    assert "multiply-adds per example" in capsys.readouterr().out
    model = load_exported(job / "exported" / "csr.pt")
    weights = fio.load_torch(job / "weights_final.pt")
    reference = registry.build("lenet_300_100", (1, 8, 8), 10, seed=0)
    reference.load_state_dict(weights)
    x = torch.randn(3, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(model(x), reference.eval()(x), atol=1e-5, rtol=0)
    refused = ["channels"] + ([] if torch.cuda.is_available() else ["semi_structured"])
    for fmt in refused:
        with pytest.raises(SystemExit) as e:
            main.main(["export", str(job), f"--format={fmt}"])
        assert e.value.code == 2
        assert capsys.readouterr().err.count("\n") == 1
        assert not (job / "exported" / f"{fmt}.pt").exists()


@pytest.mark.slow
def test_resnet20_slimming_level_exports_fewer_channels_end_to_end(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    assert main.main(["lottery", "--model_name=cifar_resnet_20", "--pruning_strategy=network_slimming",
                      "--pruning_fraction=0.5", "--levels=1", "--training_steps=2it", "--quiet", f"--root={root}"]) == 0
    (job,) = root.glob("lottery_*/replicate_1/level_1/main")
    assert main.main(["export", str(job), "--format=channels"]) == 0
    exported = load_exported(job / "exported" / "channels.pt")
    reference = registry.build("cifar_resnet_20", (1, 8, 8), 10, seed=0)
    reference.load_state_dict(fio.load_torch(job / "weights_final.pt"))
    assert sum(b.conv1.out_channels for b in exported.blocks) == 336 - 168   # ceil(0.5 * 336) removed
    x = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(exported(x), reference.eval()(x), atol=1e-5, rtol=0)
    assert multiply_adds(exported, (1, 8, 8)).dense < multiply_adds(reference, (1, 8, 8)).dense
