"""ResNet-20 speed on a GPU, for bench/gpu_check.py: training img/s at batch 128 in each mode (fp32,
bf16 autocast, torch.compile) with peak allocated memory, evaluation img/s at the chosen evaluation
batch, the projected time of one 160-epoch CIFAR-10 level (training + one test evaluation per epoch),
and the same figures for an OpenLTH-style per-example PIL + DataLoader pipeline (bench/openlth_style.py).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from common import CIFAR_MEAN, CIFAR_STD
from sparselab.data import registry as data_registry
from sparselab.data.loader import EvalLoader, TrainLoader
from sparselab.models import registry as model_registry
from sparselab.train.evaluate import eval_batch_size, predict
from sparselab.train.precision import autocast

MODES = (("fp32", "fp32", False), ("bf16 autocast", "bf16", False), ("fp32 --compile", "fp32", True),
         ("bf16 --compile", "bf16", True))
EPOCHS, BATCH = 160, 128


def _model(device: torch.device, channels_last: bool) -> torch.nn.Module:
    model = model_registry.build("cifar_resnet_20", (3, 32, 32), 10, seed=0).to(device)
    return model.to(memory_format=torch.channels_last) if channels_last else model


def train_rate(images: torch.Tensor, labels: torch.Tensor, precision: str, compiled: bool,
               iterations: int = 300, warmup: int = 40) -> tuple[float, float, torch.nn.Module]:
    """(img/s, peak allocated MiB, trained model): device-resident loader with crop/flip on the GPU."""
    cuda = torch.device("cuda")
    model = _model(cuda, True)
    forward = torch.compile(model) if compiled else model
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    loader = TrainLoader(images, labels, BATCH, cuda, 0, 0, "crop_flip", CIFAR_MEAN, CIFAR_STD, channels_last=True)
    torch.cuda.reset_peak_memory_stats()

    def batches():
        ep = 0
        while True:
            yield from loader.epoch(ep)
            ep += 1

    stream = batches()
    for step in range(warmup + iterations):
        if step == warmup:
            torch.cuda.synchronize()
            start = time.perf_counter()
        x, y = next(stream)
        opt.zero_grad(set_to_none=True)
        with autocast(cuda, precision):
            loss = F.cross_entropy(forward(x), y)
        loss.backward()
        opt.step()
    torch.cuda.synchronize()
    rate = iterations * BATCH / (time.perf_counter() - start)
    return rate, torch.cuda.max_memory_allocated() / 2 ** 20, model


def eval_rate(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, precision: str) -> tuple[float, int]:
    cuda = torch.device("cuda")
    batch = eval_batch_size(model, (3, 32, 32), cuda, channels_last=True)
    loader = EvalLoader(images, labels, batch, cuda, CIFAR_MEAN, CIFAR_STD, channels_last=True)
    predict(model, iter(loader), precision)
    torch.cuda.synchronize()
    start = time.perf_counter()
    predict(model, iter(loader), precision)
    torch.cuda.synchronize()
    return len(labels) / (time.perf_counter() - start), batch


def baseline_rates(train, test, workers: int, iterations: int = 40, warmup: int = 5) -> tuple[float, float]:
    """(train img/s, eval img/s) of the per-example PIL + DataLoader pipeline feeding the GPU, fp32."""
    from openlth_style import IMAGENET_MEAN, IMAGENET_STD, PerExample

    cuda = torch.device("cuda")
    model = _model(cuda, False)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    train_set = PerExample(train.images.permute(0, 2, 3, 1).numpy(), train.labels.numpy(), IMAGENET_MEAN,
                           IMAGENET_STD, True)
    test_set = PerExample(test.images.permute(0, 2, 3, 1).numpy(), test.labels.numpy(), IMAGENET_MEAN,
                          IMAGENET_STD, False)
    kw = dict(batch_size=BATCH, num_workers=workers, pin_memory=True)
    rates = []
    for dataset, training in ((train_set, True), (test_set, False)):
        loader = torch.utils.data.DataLoader(dataset, shuffle=training, **kw)
        model.train(training)
        done = 0
        for step, (x, y) in enumerate(loader):
            if step == warmup:
                torch.cuda.synchronize()
                start, done = time.perf_counter(), 0
            x, y = x.to(cuda, non_blocking=True), y.to(cuda, non_blocking=True)
            if training:
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
                opt.step()
            else:
                with torch.no_grad():
                    model(x).argmax(1)
            done += len(y)
            if step >= warmup + iterations:
                break
        torch.cuda.synchronize()
        rates.append(done / (time.perf_counter() - start))
    return rates[0], rates[1]


def level_minutes(train_rate_: float, eval_rate_: float, num_train: int, num_test: int) -> float:
    return EPOCHS * (num_train / train_rate_ + num_test / eval_rate_) / 60


def speed_table(data: Path, say: Callable[[str], None], record: Callable, over_budget: Callable[[], bool]) -> None:
    train, test = data_registry.load("cifar10", data)
    rows = []
    for name, precision, compiled in MODES:
        if over_budget():
            record(f"speed {name}", None, "budget spent")
            continue
        rate, peak, model = train_rate(train.images, train.labels, precision, compiled)
        ev, batch = eval_rate(model, test.images, test.labels, precision)
        rows.append((f"sparselab {name}", rate, ev, f"{peak:.0f}", batch,
                     level_minutes(rate, ev, len(train), len(test))))
        record(f"speed {name}", rate > 0)
    for workers in (0, 8):
        if over_budget():
            record(f"speed baseline workers={workers}", None, "budget spent")
            continue
        tr, ev = baseline_rates(train, test, workers)
        rows.append((f"OpenLTH-style PIL+DataLoader, {workers} workers", tr, ev, "-", BATCH,
                     level_minutes(tr, ev, len(train), len(test))))
    say(f"\nResNet-20, batch {BATCH}: train img/s, eval img/s, peak allocated MiB, eval batch, "
        f"projected minutes of one {EPOCHS}-epoch level (50k train + 10k test per epoch)")
    for name, tr, ev, peak, batch, minutes in rows:
        say(f"  {name:44s} {tr:9.0f} {ev:9.0f} {peak:>7s} {batch:5d} {minutes:8.1f}")
