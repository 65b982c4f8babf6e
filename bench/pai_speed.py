"""Time pruning-at-initialisation masks (SNIP, GraSP, SynFlow, and random ERK for reference).

    python bench/pai_speed.py [--models cifar_resnet_20,imagenet_resnet_50] [--device cpu]
                              [--batch 8] [--grasp_classes 10] [--synflow_iterations 100,10]

Data are random tensors of the model's input shape (the scores' cost does not depend on the
values). SNIP uses one batch of `--batch` images; GraSP one image per class for `--grasp_classes`
classes (the real run uses --grasp_samples_per_class per class of the whole dataset: scale the time
accordingly); SynFlow runs the given number of rounds (one per model, comma list) and the table
also shows the seconds per round. Each mask goes to density 0.1 with the global allocation (tensors
may be emptied, as in pruning at initialisation; "empty" counts them).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sparselab.sparsity.context import ScoreContext  # noqa: E402
from sparselab.sparsity.mask import Mask  # noqa: E402
from sparselab.sparsity.prune import prune_to_density  # noqa: E402

SHAPES = {"cifar_resnet_20": ((3, 32, 32), 10), "imagenet_resnet_50": ((3, 224, 224), 1000)}


def timed(fn) -> tuple[float, Mask]:
    start = time.perf_counter()
    out = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cifar_resnet_20,imagenet_resnet_50")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--grasp_classes", type=int, default=10)
    parser.add_argument("--synflow_iterations", default="100,10", help="rounds per model (comma list)")
    parser.add_argument("--density", type=float, default=0.1)
    args = parser.parse_args()
    from sparselab.models import registry

    names = [n for n in args.models.split(",") if n]
    rounds = [int(r) for r in args.synflow_iterations.split(",")]
    rounds += [rounds[-1]] * (len(names) - len(rounds))
    device = torch.device(args.device)
    print(f"device {device}, {torch.get_num_threads()} CPU threads, density {args.density}")
    print(f"{'model':<20} {'criterion':<10} {'setting':<22} {'seconds':>9} {'s/round':>9} {'kept':>10} {'empty':>6}")
    for name, iterations in zip(names, rounds):
        shape, classes = SHAPES.get(name, ((3, 32, 32), 10))
        model = registry.build(name, shape, classes).to(device)
        g = torch.Generator().manual_seed(0)
        x = torch.randn(args.batch, *shape, generator=g).to(device)
        y = torch.randint(0, classes, (args.batch,), generator=g).to(device)
        k_classes = min(args.grasp_classes, classes)

        def balanced(k: int):
            gx = torch.randn(k * k_classes, *shape, generator=g).to(device)
            return gx, torch.arange(k_classes, device=device).repeat_interleave(k)

        context = ScoreContext(seed=0, batches=lambda: [(x, y)], class_balanced_batch=balanced,
                               grasp_samples_per_class=1, synflow_iterations=iterations)
        dense = Mask.ones_like(model)
        cases = [("random", "erk", "-", 1), ("snip", "global", f"batch {args.batch}", 1),
                 ("grasp", "global", f"{k_classes} images", 1), ("synflow", "global", f"{iterations} rounds",
                                                                 iterations)]
        for score, distribution, setting, n in cases:
            seconds, mask = timed(lambda: prune_to_density(model, dense, args.density, score, distribution, context,
                                                                   allow_empty=True))
            empty = sum(1 for m in mask.values() if not m.any())
            print(f"{name:<20} {score:<10} {setting:<22} {seconds:>9.3f} {seconds / n:>9.3f} {mask.num_kept:>10,} "
                  f"{empty:>6}", flush=True)


if __name__ == "__main__":
    main()
