"""Time one pruning level of a ResNet-50-sized parameter set (25.5 M prunable weights).

    python bench/prune_speed.py [--repeats 3] [--device cpu]

Prints, per (score, distribution), the median seconds of `pruning.prune.prune` from a dense mask and
from an already 80 %-dense mask (the usual second level). Target: well under 1 s on a CPU.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pruning.context import ScoreContext  # noqa: E402
from pruning.hparams import PruningHparams  # noqa: E402
from pruning.mask import Mask  # noqa: E402
from pruning.prune import prune  # noqa: E402

CASES = [("magnitude", "global"), ("magnitude", "layerwise"), ("magnitude", "erk"), ("random", "global")]


def resnet50(device: str) -> torch.nn.Module:
    from models import registry

    return registry.build("imagenet_resnet_50", (3, 224, 224), 1000).to(device)


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = resnet50(args.device)
    dense = Mask.ones_like(model)
    context = ScoreContext(seed=0)
    print(f"imagenet_resnet_50: {dense.num_total:,} prunable weights in {len(dense)} tensors, "
          f"device {args.device}, {torch.get_num_threads()} threads")
    second = prune(model, dense, PruningHparams(), context)
    print(f"{'score':<10} {'distribution':<12} {'from dense (s)':>15} {'from 80% (s)':>14}")
    for score, distribution in CASES:
        hparams = PruningHparams(pruning_strategy=score, pruning_distribution=distribution)
        first = median_seconds(lambda: prune(model, dense, hparams, context), args.repeats)
        again = median_seconds(lambda: prune(model, second, hparams, context), args.repeats)
        print(f"{score:<10} {distribution:<12} {first:>15.3f} {again:>14.3f}")


if __name__ == "__main__":
    main()
