"""Inference speed of exported models against the dense ones, on the CPU, with their multiply-adds.

    python bench/export_speed.py [--repeats 21] [--threads N] [--tiny]

Cases: LeNet-300-100 (MNIST shape) pruned to 5 % by global magnitude, exported as CSR linear layers;
ResNet-20 (CIFAR shape) with half the channels of every block's inner conv removed (filter L2,
layerwise, twice: 25 % kept), exported with the channels physically removed. The models are not
trained (speed does not depend on the values). For each: latency at batch 1 and throughput at batch
256, dense and exported measured alternately (d, e, d, e, ...) so load drifts hit both alike; medians.
`--tiny` runs 3 repeats of small batches: a check that the script works, not a measurement.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sparselab.analysis.export.formats import build_payload  # noqa: E402
from sparselab.analysis.export.loader import load_exported  # noqa: E402
from sparselab.core import io as fio  # noqa: E402
from sparselab.models import registry  # noqa: E402
from sparselab.models.flops import multiply_adds  # noqa: E402
from sparselab.sparsity.context import ScoreContext  # noqa: E402
from sparselab.sparsity.hparams import PruningHparams  # noqa: E402
from sparselab.sparsity.mask import Mask  # noqa: E402
from sparselab.sparsity.prune import prune, prune_to_density  # noqa: E402


def lenet_case() -> tuple[str, torch.nn.Module, Mask, tuple, str]:
    shape = (1, 28, 28)
    model = registry.build("lenet_300_100", shape, 10, seed=0)
    mask = prune_to_density(model, Mask.ones_like(model), 0.05, "magnitude", "global", ScoreContext(seed=0))
    return "lenet_300_100", model, mask, shape, "csr"


def resnet_case() -> tuple[str, torch.nn.Module, Mask, tuple, str]:
    shape = (3, 32, 32)
    model = registry.build("cifar_resnet_20", shape, 10, seed=0)
    hp = PruningHparams(pruning_strategy="filter_l2", pruning_fraction=0.5, pruning_distribution="layerwise")
    mask = Mask.ones_like(model)
    for level in (1, 2):
        mask = prune(model, mask, hp, ScoreContext(seed=0, level=level))
    return "cifar_resnet_20", model, mask, shape, "channels"


def exported(name: str, model: torch.nn.Module, mask: Mask, shape: tuple, fmt: str) -> torch.nn.Module:
    payload = build_payload(model, mask, fmt, {"model_name": name, "input_shape": list(shape), "num_classes": 10,
                                               "job": "bench"})
    with tempfile.TemporaryDirectory() as tmp:
        fio.save_torch(Path(tmp) / "m.pt", payload)
        return load_exported(Path(tmp) / "m.pt")


@torch.no_grad()  # not inference_mode: CSR matmul takes a ~10x slower path under it (torch 2.13 CPU)
def alternate(a: torch.nn.Module, b: torch.nn.Module, x: torch.Tensor, repeats: int) -> tuple[float, float]:
    """Median seconds of one forward of `a` and of `b`, timed alternately after one warm-up each."""
    a(x), b(x)
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for i, model in enumerate((a, b)):
            start = time.perf_counter()
            model(x)
            times[i].append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--tiny", action="store_true", help="3 repeats, batch 8: checks that it runs")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    repeats, big = (3, 8) if args.tiny else (args.repeats, 256)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, medians of {repeats} alternating repeats")
    print(f"{'model':16} {'format':9} {'MACs dense':>11} {'MACs export':>11} {'lat dense ms':>12} "
          f"{'lat export ms':>13} {'img/s dense':>11} {'img/s export':>12}")
    for case in (lenet_case, resnet_case):
        name, model, mask, shape, fmt = case()
        mask.apply_(model)
        model.eval()
        small = exported(name, model, mask, shape, fmt)
        dense_macs = multiply_adds(model, shape).dense
        export_macs = multiply_adds(model, shape, mask=mask.state_dict()).sparse if fmt == "csr" else \
            multiply_adds(small, shape).dense
        lat = alternate(model, small, torch.randn(1, *shape), repeats)
        thr = alternate(model, small, torch.randn(big, *shape), repeats)
        print(f"{name:16} {fmt:9} {dense_macs:11d} {export_macs:11d} {1e3 * lat[0]:12.3f} {1e3 * lat[1]:13.3f} "
              f"{big / thr[0]:11.0f} {big / thr[1]:12.0f}", flush=True)


if __name__ == "__main__":
    main()
