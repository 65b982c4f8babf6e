"""Time one pruning level of a ResNet-50-sized parameter set (25.5 M prunable weights).

    python bench/prune_speed.py [--repeats 3] [--device cpu]

Prints, per (score, distribution), the median wall and CPU seconds of `pruning.prune.prune` from a
dense mask and from an already 80 %-dense mask (the usual second level). Target: well under 1 s on a
CPU. On a shared machine compare CPU seconds (or use --threads 1, where wall ~ CPU when idle).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sparselab.sparsity.context import ScoreContext  # noqa: E402
from sparselab.sparsity.hparams import PruningHparams  # noqa: E402
from sparselab.sparsity.mask import Mask  # noqa: E402
from sparselab.sparsity.prune import prune  # noqa: E402

CASES = [("magnitude", "global"), ("magnitude", "layerwise"), ("magnitude", "erk"), ("random", "global")]


def resnet50(device: str) -> torch.nn.Module:
    from sparselab.models import registry

    return registry.build("imagenet_resnet_50", (3, 224, 224), 1000).to(device)


def median_seconds(fn, repeats: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of this process (all threads) over `repeats` calls.

    CPU seconds barely change when other processes compete for the cores, wall seconds do."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


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
    print(f"{'score':<10} {'distribution':<12} {'from dense: wall s':>18} {'cpu s':>7} "
          f"{'from 80%: wall s':>17} {'cpu s':>7}")
    for score, distribution in CASES:
        hparams = PruningHparams(pruning_strategy=score, pruning_distribution=distribution)
        first = median_seconds(lambda: prune(model, dense, hparams, context), args.repeats)
        again = median_seconds(lambda: prune(model, second, hparams, context), args.repeats)
        print(f"{score:<10} {distribution:<12} {first[0]:>18.3f} {first[1]:>7.3f} {again[0]:>17.3f} {again[1]:>7.3f}",
              flush=True)


if __name__ == "__main__":
    main()
