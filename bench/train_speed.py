"""Training and evaluation throughput, and the fraction of the machine's matmul peak it reaches.

    python bench/train_speed.py                 # lenet_300_100 / MNIST, cifar_resnet_20, cifar_vgg_16
    python bench/train_speed.py --baseline      # also a per-example PIL + DataLoader pipeline
    python bench/train_speed.py --device cuda --precision bf16

CIFAR-shaped data is generated uint8 (there is no CIFAR-10 here; speed does not depend on pixels).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from common import (CIFAR_MEAN, CIFAR_STD, cifar_like, forward_flops, matmul_gflops, mnist_or_like,
                    print_table, timed_training)
from sparselab.models import registry as model_registry
from sparselab.train.standard import uses_channels_last


def pil_dataloader_baseline(n: int, batch_size: int, device: torch.device, iterations: int) -> float:
    """The classic pipeline: per-example PIL crop/flip, ToTensor-style conversion, DataLoader batching."""
    from PIL import Image, ImageOps

    images, labels = cifar_like(n)
    arrays = images.permute(0, 2, 3, 1).numpy()
    mean = np.array(CIFAR_MEAN, dtype=np.float32).reshape(3, 1, 1)
    std = np.array(CIFAR_STD, dtype=np.float32).reshape(3, 1, 1)
    rng = np.random.default_rng(0)

    class PerExample(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return n

        def __getitem__(self, i: int):
            img = ImageOps.expand(Image.fromarray(arrays[i]), border=4, fill=0)
            x, y = rng.integers(0, 9, size=2)
            img = img.crop((x, y, x + 32, y + 32))
            if rng.random() < 0.5:
                img = ImageOps.mirror(img)
            t = (np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255.0 - mean) / std
            return torch.from_numpy(t), int(labels[i])

    loader = torch.utils.data.DataLoader(PerExample(), batch_size=batch_size, shuffle=True, num_workers=0)
    model = model_registry.build("cifar_resnet_20", (3, 32, 32), 10, seed=0).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    done, start = 0, None
    for step, (x, y) in enumerate(loader):
        if step == 2:
            start, done = time.perf_counter(), 0
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        done += len(y)
        if step >= iterations + 2:
            break
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16"))
    parser.add_argument("--examples", type=int, default=2560, help="CIFAR-shaped examples per epoch")
    parser.add_argument("--epochs", type=int, default=2, help="the last epoch is timed")
    parser.add_argument("--baseline", action="store_true", help="also time a per-example PIL pipeline")
    parser.add_argument("--models", default="lenet_300_100,cifar_resnet_20,cifar_vgg_16")
    args = parser.parse_args()
    device = torch.device(args.device)
    peak = matmul_gflops(device)
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"fp32 matmul {peak:.1f} GFLOP/s")
    rows = []
    for name in args.models.split(","):
        if name.startswith("lenet"):
            images, labels, source = mnist_or_like(60000 if device.type == "cuda" else 12800)
            mean, std, aug, batch = (0.1307,), (0.3081,), "none", 128
        else:
            images, labels = cifar_like(args.examples * (8 if device.type == "cuda" else 1))
            source, mean, std, aug, batch = "generated CIFAR", CIFAR_MEAN, CIFAR_STD, "crop_flip", 128
        model = model_registry.build(name, tuple(images.shape[1:]), 10, seed=0)
        result = timed_training(name, images, labels, batch_size=batch, epochs=args.epochs, augmentation=aug,
                                mean=mean, std=std, device=device, precision=args.precision,
                                channels_last=uses_channels_last(model, device))
        flops = forward_flops(model, tuple(images.shape[1:]))
        achieved = 3 * flops * result["train_images_per_second"] / 1e9
        rows.append([name, source, batch, f"{result['train_images_per_second']:.0f}",
                     f"{result['eval_images_per_second']:.0f}", f"{flops / 1e6:.1f}", f"{achieved:.1f}",
                     f"{100 * achieved / peak:.0f}%"])
    if args.baseline:
        rate = pil_dataloader_baseline(args.examples, 128, device, iterations=10)
        rows.append(["cifar_resnet_20 (PIL+DataLoader)", "generated CIFAR", 128, f"{rate:.0f}", "-", "-", "-", "-"])
    print_table(["model", "data", "batch", "train img/s", "eval img/s", "fwd MFLOP/img", "train GFLOP/s",
                 "of matmul peak"], rows)
    print("train GFLOP/s counts 3 x the nominal forward FLOPs of direct convolution; Winograd/oneDNN kernels "
          "do fewer multiplications, so a 3x3-conv net can show more than 100 % of the matmul peak")


if __name__ == "__main__":
    main()
