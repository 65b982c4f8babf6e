"""The pieces of issue 14 (speed of the whole run), checked by hand computation, never by timing:
evaluation batch size, training-set evaluation cadence, ETA arithmetic, run-level progress, model
builds and scoring loaders per level, native-bf16 detection."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from sparselab import main as cli
from sparselab.data.loader import EvalLoader
from sparselab.experiments.lottery.progress import level_prefix, rest_of_run, reuse_line, spans
from sparselab.train import evaluate as ev
from sparselab.train.hparams import TrainingHparams
from sparselab.train.loop import train_eval_due
from sparselab.train.precision import cpu_has_native_bf16
from sparselab.train.progress import Progress, eval_points


class Toy(torch.nn.Module):
    """Input 1x8x8 (256 bytes), conv to 4x8x8 (1024 bytes: the largest), then 10 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.fc = torch.nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def test_largest_activation_is_measured_per_example():
    model = Toy()
    assert ev.largest_activation_bytes(model, (1, 8, 8), torch.device("cpu")) == 4 * 8 * 8 * 4
    assert model.training  # the measurement leaves the mode as it was


@pytest.mark.parametrize("budget, expected", [(64 * 1024, 64), (100 * 1024, 64), (1024, ev.MIN_BATCH),
                                              (2 ** 30, ev.MAX_BATCH)])
def test_eval_batch_is_the_largest_power_of_two_within_the_budget(budget, expected):
    assert ev.eval_batch_size(Toy(), (1, 8, 8), torch.device("cpu"), budget=budget) == expected


def test_resnet20_on_the_cpu_evaluates_in_batches_of_64():
    from sparselab.models import registry

    model = registry.build("cifar_resnet_20", (3, 32, 32), 10, seed=0).to(memory_format=torch.channels_last)
    # largest activation 16 x 32 x 32 float32 = 64 KiB per example; 4 MiB / 64 KiB = 64
    assert ev.eval_batch_size(model, (3, 32, 32), torch.device("cpu"), channels_last=True) == 64


def test_batch_size_does_not_change_predictions():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (37, 1, 8, 8), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 10, (37,), generator=g)
    model = Toy()
    results = [ev.evaluate(model, iter(EvalLoader(images, labels, b, "cpu", (0.5,), (0.25,))), "test")
               for b in (5, 16, 1024)]
    assert results[0]["test_accuracy"] == results[1]["test_accuracy"] == results[2]["test_accuracy"]
    assert results[0]["test_loss"] == pytest.approx(results[2]["test_loss"], rel=1e-6)


def _setup(epochs: int, every: int, start: int = 0, eval_train: bool = False) -> SimpleNamespace:
    return SimpleNamespace(train_eval_batches=lambda: [], start_iteration=start, end_iteration=epochs * 10,
                           hparams=TrainingHparams(train_eval_every=every, eval_train=eval_train))


def test_train_set_cadence_under_noise_gives_about_twenty_points_plus_start_and_end():
    s = _setup(epochs=100, every=0)  # ceil(100 / 20) = every 5 epochs
    due = [it for it in range(0, 1001, 10) if train_eval_due(s, it, 10)]
    assert due == list(range(0, 1001, 50))
    s = _setup(epochs=7, every=3)
    assert [it for it in range(0, 71, 10) if train_eval_due(s, it, 10)] == [0, 30, 60, 70]
    assert not train_eval_due(SimpleNamespace(train_eval_batches=None), 0, 10)
    s = _setup(epochs=100, every=0, eval_train=True)  # --eval_train: every epoch, as SDD
    assert all(train_eval_due(s, it, 10) for it in range(0, 1001, 10))


def test_eta_counts_evaluations_and_checkpoints():
    assert eval_points(0, 10, 5) == 2 and eval_points(5, 12, 5) == 2 and eval_points(3, 3, 5) == 0
    p = Progress(start_iteration=0, end_iteration=10, ipe=5)
    p.add_eval(2.0)
    p.add_checkpoint(1.0)
    remaining, total = p.eta(iteration=5, seconds_per_iteration=1.0)
    assert remaining == 5 * 1.0 + 1 * (2.0 + 1.0)
    assert total == 10 * 1.0 + 3 * 2.0 + 2 * 1.0  # start evaluation, two points, two checkpoints
    p.rest_of_run = rest_of_run(1, [0, 1, 2, 3])
    assert p.eta_text(5, 1.0) == "ETA 0:00:08 (run 0:00:44)"  # 8 s + 2 later levels x 18 s


def test_run_progress_texts():
    assert level_prefix(2, 3) == "[level 2/3] "
    assert spans([5, 0, 1, 2, 7, 8]) == "0-2, 5, 7-8"
    assert reuse_line([], False, "d") is None
    assert reuse_line([0, 1], True, "d") == "pretraining and levels 0-1: already done, reused from d"


def test_native_bf16_is_read_from_the_cpu_flags(tmp_path):
    cpu_has_native_bf16.cache_clear()
    (tmp_path / "yes").write_text("flags\t\t: fpu avx2 avx512f avx512_bf16\n")
    (tmp_path / "no").write_text("flags\t\t: fpu avx2\n")
    assert cpu_has_native_bf16(tmp_path / "yes") is True
    assert cpu_has_native_bf16(tmp_path / "no") is False
    cpu_has_native_bf16.cache_clear()


def test_a_lottery_builds_the_model_twice_and_no_loader_for_magnitude(tmp_path, monkeypatch, capsys):
    """One template build plus the seeded initialisation, whatever the number of levels; one
    training loader per level and none for the data-free magnitude score; `[level L/N]` lines."""
    from sparselab.data import loader as loader_module
    from sparselab.models import registry

    builds, loaders = [], []
    real_build, real_init = registry.build, loader_module.TrainLoader.__init__
    monkeypatch.setattr(registry, "build", lambda *a, **k: builds.append(k.get("seed")) or real_build(*a, **k))
    monkeypatch.setattr(loader_module.TrainLoader, "__init__",
                        lambda self, *a, **k: loaders.append(1) or real_init(self, *a, **k))
    assert cli.main(["lottery", f"--root={tmp_path}", "--levels=2", "--training_steps=3it", "--threads=1"]) == 0
    out = capsys.readouterr().out
    assert len(builds) == 2 and len(loaders) == 3
    assert "[level 2/2] it 3/3" in out and "(run " in out  # a run under an epoch counts iterations


def test_gpu_check_skips_cleanly_without_cuda(tmp_path):
    """The device script's CPU-side path: a skip message, exit 0, the log in $OUT; its modules import."""
    import os
    import subprocess
    import sys

    bench = Path(__file__).resolve().parents[2] / "bench"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OUT": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(bench / "gpu_check.py"), f"--work={tmp_path / 'w'}"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("skip: no CUDA device")
    assert (tmp_path / "gpu_check.log").read_text().startswith("skip: no CUDA device")
    assert not (tmp_path / "w").exists()  # nothing generated on the skip path
    imports = subprocess.run([sys.executable, "-c", "import gpu_speed, side_by_side, level_overhead"], cwd=bench,
                             capture_output=True, text=True, timeout=120)
    assert imports.returncode == 0, imports.stderr
