"""A baseline of OpenLTH's design, for side-by-side timing (not a copy of its code): per-example
datasets that build a PIL image and convert it (ToTensor + Normalize) in `__getitem__`, a
`DataLoader` with 0 workers and the bundle's batch size for training and test, masks applied by
multiplying the weights before each forward, test evaluation at the start and every epoch, the
model saved at start and end and a checkpoint every epoch, and every level rebuilding its loaders.

    python bench/openlth_style.py lenet DATA_ROOT OUT   # LeNet-300-100 MNIST lottery, 2 levels x 2 epochs
    python bench/openlth_style.py resnet DATA_ROOT OUT  # ResNet-20 CIFAR-10, 100 iterations, test at start/end
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sparselab.models import registry as model_registry  # noqa: E402

MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # OpenLTH's CIFAR-10 statistics


class PerExample(torch.utils.data.Dataset):
    """uint8 images [N,H,W] or [N,H,W,C]: PIL image, optional crop/flip, ToTensor, Normalize, per item."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, mean, std, augment: bool) -> None:
        self.images, self.labels, self.augment = images, labels, augment
        self.mean = np.array(mean, dtype=np.float32).reshape(-1, 1, 1)
        self.std = np.array(std, dtype=np.float32).reshape(-1, 1, 1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        from PIL import Image, ImageOps

        img = Image.fromarray(self.images[i], mode="L" if self.images.ndim == 3 else "RGB")
        if self.augment:
            if torch.rand(1).item() < 0.5:
                img = ImageOps.mirror(img)
            img = ImageOps.expand(img, border=4, fill=0)
            x, y = torch.randint(0, 9, (2,)).tolist()
            img = img.crop((x, y, x + 32, y + 32))
        arr = np.asarray(img, dtype=np.float32) / 255.0
        arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        return torch.from_numpy((arr - self.mean) / self.std), int(self.labels[i])


def loader(dataset: PerExample, batch_size: int, shuffle: bool, seed: int = 0) -> torch.utils.data.DataLoader:
    generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=0,
                                       generator=generator)


def evaluate(model: torch.nn.Module, test: torch.utils.data.DataLoader, masks: dict) -> float:
    model.eval()
    correct = total = 0
    with torch.no_grad():
        apply(model, masks)
        for x, y in test:
            correct += int((model(x).argmax(1) == y).sum())
            total += len(y)
    model.train()
    return correct / total


def apply(model: torch.nn.Module, masks: dict) -> None:
    for name, p in model.named_parameters():
        if name in masks:
            p.data *= masks[name]


def train_level(model, train_set, test_set, masks, out: Path, lr, momentum, weight_decay, iterations=None,
                epochs=1, every_epoch=True) -> float:
    """One training job: fresh loaders, test evaluation at start (and each epoch), saves, checkpoints."""
    out.mkdir(parents=True, exist_ok=True)
    train_loader, test_loader = loader(train_set, 128, True), loader(test_set, 128, False)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    torch.save(model.state_dict(), out / "model_start.pth")
    accuracy = evaluate(model, test_loader, masks)
    step = 0
    for ep in range(epochs):
        for x, y in train_loader:
            apply(model, masks)
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
            step += 1
            if iterations is not None and step >= iterations:
                break
        if every_epoch or ep == epochs - 1:
            accuracy = evaluate(model, test_loader, masks)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "ep": ep}, out / "checkpoint.pth")
    torch.save(model.state_dict(), out / "model_end.pth")
    return accuracy


def next_masks(model: torch.nn.Module, masks: dict, fraction: float = 0.2) -> dict:
    """Global magnitude pruning of `fraction` of the remaining weights of the masked tensors."""
    params = dict(model.named_parameters())
    kept = torch.cat([params[n].detach().abs()[m.bool()] for n, m in masks.items()])
    k = int(np.ceil(fraction * kept.numel()))
    threshold = kept.sort().values[k]
    return {n: (m.bool() & (params[n].detach().abs() >= threshold)).float() for n, m in masks.items()}


def lenet_lottery(data_root: Path, out: Path, levels: int = 2, epochs: int = 2) -> None:
    from sparselab.datasets import registry

    train, test = registry.load("mnist", data_root)  # the files; the per-example pipeline starts here
    train_set = PerExample(train.images[:, 0].numpy(), train.labels.numpy(), MNIST_MEAN, MNIST_STD, False)
    test_set = PerExample(test.images[:, 0].numpy(), test.labels.numpy(), MNIST_MEAN, MNIST_STD, False)
    init = model_registry.build("mnist_lenet_300_100", (1, 28, 28), 10, seed=0).state_dict()
    model = model_registry.build("mnist_lenet_300_100", (1, 28, 28), 10, seed=0)
    masks = {n: torch.ones_like(p) for n, p in model.named_parameters() if n.endswith("weight") and n != "fc.weight"}
    for level in range(levels + 1):
        model = model_registry.build("mnist_lenet_300_100", (1, 28, 28), 10, seed=0)
        model.load_state_dict(init)
        accuracy = train_level(model, train_set, test_set, masks, out / f"level_{level}", lr=0.1, momentum=0.0,
                               weight_decay=0.0, epochs=epochs)
        print(f"level {level}: test accuracy {100 * accuracy:.2f}%", flush=True)
        masks = next_masks(model, masks)


def resnet_run(data_root: Path, out: Path, iterations: int = 100) -> None:
    from sparselab.datasets import registry

    train, test = registry.load("cifar10", data_root)
    train_set = PerExample(train.images.permute(0, 2, 3, 1).numpy(), train.labels.numpy(), IMAGENET_MEAN,
                           IMAGENET_STD, True)
    test_set = PerExample(test.images.permute(0, 2, 3, 1).numpy(), test.labels.numpy(), IMAGENET_MEAN,
                          IMAGENET_STD, False)
    model = model_registry.build("cifar_resnet_20", (3, 32, 32), 10, seed=0)
    accuracy = train_level(model, train_set, test_set, {}, out, lr=0.1, momentum=0.9, weight_decay=1e-4,
                           iterations=iterations, every_epoch=False)
    print(f"test accuracy {100 * accuracy:.2f}%", flush=True)


if __name__ == "__main__":
    which, root, target = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    (lenet_lottery if which == "lenet" else resnet_run)(root, target)
