"""Shared pieces of the benchmarks: CIFAR-shaped data, FLOP counting, matmul peak, timed training.

Training throughput is measured through the real training loop (`training.loop.train`), so what is
timed is what users run: device-resident loader, batched augmentation, optimiser, mask hooks.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sparselab.data.loader import EvalLoader, TrainLoader  # noqa: E402
from sparselab.models import registry as model_registry  # noqa: E402
from sparselab.train.hparams import TrainingHparams  # noqa: E402
from sparselab.train.loop import TrainSetup, train  # noqa: E402

from shared_dir import SHARED_DATA  # noqa: E402
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def cifar_like(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Generated uint8 CIFAR-shaped data: speed does not depend on the pixels."""
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8),
            torch.randint(0, 10, (n,), generator=g))


def mnist_or_like(n: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    if (SHARED_DATA / "mnist").exists():
        from sparselab.data import registry

        train, _ = registry.load("mnist", SHARED_DATA)
        return train.images[:n], train.labels[:n], "real MNIST"
    g = torch.Generator().manual_seed(0)
    return (torch.randint(0, 256, (n, 1, 28, 28), generator=g, dtype=torch.uint8),
            torch.randint(0, 10, (n,), generator=g), "generated")


def forward_flops(model: torch.nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-adds x 2 of Conv2d and Linear layers for one example."""
    total = 0

    def conv_hook(module: torch.nn.Conv2d, inputs: Any, output: torch.Tensor) -> None:
        nonlocal total
        kernel = module.weight.numel() // module.out_channels
        total += 2 * kernel * output[0].numel()

    def linear_hook(module: torch.nn.Linear, inputs: Any, output: torch.Tensor) -> None:
        nonlocal total
        total += 2 * module.weight.numel()

    handles = []
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, torch.nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *input_shape))
    model.train(was_training)
    for h in handles:
        h.remove()
    return total


def matmul_gflops(device: torch.device, sizes: Sequence[int] = (1024, 2048, 4096), repeats: int = 5) -> float:
    """The machine's fp32 matmul peak: the best of square matmuls of several sizes."""
    best = 0.0
    for size in sizes:
        a = torch.randn(size, size, device=device)
        b = torch.randn(size, size, device=device)
        for _ in range(2):
            a @ b
        _sync(device)
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        _sync(device)
        best = max(best, 2 * size ** 3 * repeats / (time.perf_counter() - start) / 1e9)
    return best


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed_training(model_name: str, images: torch.Tensor, labels: torch.Tensor, *, batch_size: int,
                   epochs: int, augmentation: str, mean, std, device: torch.device, hooks=(),
                   precision: str = "fp32", channels_last: bool = False) -> dict[str, float]:
    """Train through the real loop; report images/s of the last epoch (the first one warms up)."""
    model = model_registry.build(model_name, tuple(images.shape[1:]), 10, seed=0).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    hparams = TrainingHparams(lr=0.01, momentum=0.9, weight_decay=1e-4, training_steps=f"{epochs}ep",
                              precision=precision)
    loader = TrainLoader(images, labels, batch_size, device, 0, 0, augmentation, mean, std,
                         channels_last=channels_last)
    tiny_test = EvalLoader(images[:batch_size], labels[:batch_size], 1024, device, mean, std, channels_last)
    with tempfile.TemporaryDirectory() as tmp:
        setup = TrainSetup(model=model, hparams=hparams, train_loader=loader, test_batches=lambda: iter(tiny_test),
                           out_dir=Path(tmp), device=device, start_iteration=0,
                           end_iteration=epochs * loader.iterations_per_epoch, hooks=list(hooks), verbose=False)
        log = train(setup)
    last, before = log.rows[-1], log.rows[-2]
    seconds = last["wall_seconds"] - before["wall_seconds"]
    images_done = (last["iteration"] - before["iteration"]) * batch_size
    return {"train_images_per_second": images_done / seconds,
            "eval_images_per_second": eval_speed(model, images, labels, mean, std, device, channels_last, precision)}


def eval_speed(model, images, labels, mean, std, device, channels_last, precision) -> float:
    from sparselab.train.evaluate import predict

    loader = EvalLoader(images, labels, 1024, device, mean, std, channels_last)
    predict(model, iter(loader), precision)
    _sync(device)
    start = time.perf_counter()
    predict(model, iter(loader), precision)
    _sync(device)
    return len(labels) / (time.perf_counter() - start)


def print_table(header: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
