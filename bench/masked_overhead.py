"""Overhead of masked (sparse) over dense training for cifar_resnet_20, through the real loop.

    python bench/masked_overhead.py [--device cuda] [--density 0.2]

The mask hook does two fused foreach multiplications per step (gradients before, weights after the
optimiser step); the target is <= 5 % on the CPU.
"""
from __future__ import annotations

import argparse
import time

import torch

from common import CIFAR_MEAN, CIFAR_STD, cifar_like, print_table, timed_training
from sparselab.models import registry as model_registry
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.masked import MaskHook
from sparselab.train.standard import uses_channels_last


def random_mask(model: torch.nn.Module, density: float) -> Mask:
    g = torch.Generator().manual_seed(0)
    ones = Mask.ones_like(model)
    return Mask({n: torch.rand(m.shape, generator=g) < density for n, m in ones.items()})


def hook_milliseconds(model: torch.nn.Module, mask: Mask, device: torch.device, steps: int = 200) -> float:
    """The mask hook's own cost per step (both fused multiplies), measured in isolation."""
    model = model.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(8, 3, 32, 32, device=device)
    torch.nn.functional.cross_entropy(model(x), torch.zeros(8, dtype=torch.long, device=device)).backward()
    hook = MaskHook(mask)
    hook.on_start(model, opt, 0)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(steps):
        hook.before_optimizer_step(model, opt, i)
        hook.after_optimizer_step(model, opt, i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--density", type=float, default=0.2)
    parser.add_argument("--examples", type=int, default=2560)
    parser.add_argument("--repeats", type=int, default=3, help="alternate dense/masked runs, take the best")
    args = parser.parse_args()
    device = torch.device(args.device)
    images, labels = cifar_like(args.examples * (8 if device.type == "cuda" else 1))
    model = model_registry.build("cifar_resnet_20", (3, 32, 32), 10, seed=0)
    mask = random_mask(model, args.density)
    best = {"dense": 0.0, "masked": 0.0}
    for _ in range(args.repeats):
        for kind in best:
            hooks = [MaskHook(mask)] if kind == "masked" else []
            rate = timed_training("cifar_resnet_20", images, labels, batch_size=128, epochs=2, augmentation="crop_flip",
                                  mean=CIFAR_MEAN, std=CIFAR_STD, device=device, hooks=hooks,
                                  channels_last=uses_channels_last(model, device))["train_images_per_second"]
            best[kind] = max(best[kind], rate)
    overhead = best["dense"] / best["masked"] - 1
    hook_ms = hook_milliseconds(model, mask, device)
    step_ms = 128 / best["dense"] * 1000
    print_table(["model", "device", "density", "dense img/s", "masked img/s", "end-to-end overhead",
                 "hook ms/step", "step ms", "hook share"],
                [["cifar_resnet_20", str(device), args.density, f"{best['dense']:.0f}", f"{best['masked']:.0f}",
                  f"{100 * overhead:+.1f}%", f"{hook_ms:.3f}", f"{step_ms:.1f}", f"{100 * hook_ms / step_ms:.2f}%"]])
    print("end-to-end differences of a few percent are run-to-run noise on a shared CPU; the hook's own cost is "
          "the measured overhead of masking")


if __name__ == "__main__":
    main()
