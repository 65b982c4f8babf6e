"""Evaluation throughput: the eager model against the evaluation graph that `training.evaluate.predict`
runs (speed/fused_eval.py: BatchNorm folded, oneDNN convolution + addition + ReLU post-ops), at the
batch sizes around the per-device choice, in channels_last; medians of alternating repeats.

    python bench/eval_speed.py [--models cifar_resnet_20,cifar_vgg_16] [--images 2048] [--repeats 5]

Also prints the batch size `eval_batch_size` picks and the largest difference between the two outputs.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from common import cifar_like
from sparselab.models import registry as model_registry
from sparselab.speed.fused_eval import evaluation_model
from sparselab.train.evaluate import eval_batch_size


def images_per_second(forward, images: torch.Tensor, batch: int) -> float:
    with torch.inference_mode():
        forward(images[:batch])
        start = time.perf_counter()
        for i in range(0, len(images), batch):
            forward(images[i:i + batch])
    return len(images) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="cifar_resnet_20,cifar_vgg_16")
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", default="32,64,128,256")
    args = parser.parse_args()
    images = cifar_like(args.images)[0].float().div_(255).contiguous(memory_format=torch.channels_last)
    print(f"{'model':18s} {'batch':>5s} {'eager img/s':>11s} {'graph img/s':>11s} {'speed-up':>8s}")
    for name in args.models.split(","):
        model = model_registry.build(name, (3, 32, 32), 10, seed=0)
        model.train()
        with torch.no_grad():
            model(images[:64])  # running statistics away from their initial values
        model = model.eval().to(memory_format=torch.channels_last)
        graph = evaluation_model(model, onednn=True)
        with torch.inference_mode():
            diff = (graph(images[:64]) - model(images[:64])).abs().max().item()
        chosen = eval_batch_size(model, (3, 32, 32), torch.device("cpu"), channels_last=True)
        for batch in (int(b) for b in args.batches.split(",")):
            eager, fused = [], []
            for _ in range(args.repeats):  # alternating
                eager.append(images_per_second(model, images, batch))
                fused.append(images_per_second(graph, images, batch))
            e, f = statistics.median(eager), statistics.median(fused)
            mark = "  <- eval_batch_size" if batch == chosen else ""
            print(f"{name:18s} {batch:5d} {e:11.0f} {f:11.0f} {f / e:7.2f}x{mark}", flush=True)
        print(f"{name:18s} largest |graph - eager| output difference: {diff:.2e}")


if __name__ == "__main__":
    main()
