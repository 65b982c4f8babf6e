"""A baseline of OpenLTH's design, for side-by-side timing (not a copy of its code): per-example
datasets that build a PIL image and convert it with torchvision's ToTensor + Normalize tensor
operations (re-implemented here: torchvision must not be imported) in `__getitem__`, a `DataLoader`
with 0 workers and the bundle's batch size for training and test, masks applied by multiplying the
weights before each forward, test evaluation at the start and every epoch, the model saved at start
and end, a checkpoint (with the metric log as text) at every epoch boundary including the start,
the log file at the end, mask.pth and sparsity_report.json per level, and every training job
building its datasets again: OpenLTH's `datasets.registry.get` constructs torchvision's MNIST per
job, which parses the raw (extracted) idx files each time.

    python bench/openlth_style.py lenet MNIST_RAW OUT [LEVELS EPOCHS [ITERATIONS]]  # LeNet lottery (2 x 2)
    python bench/openlth_style.py resnet DATA_ROOT OUT [ITERATIONS]    # ResNet-20 CIFAR-10, 100 it, test at start/end

MNIST_RAW holds the four idx files uncompressed (torchvision's MNIST/raw; `extract_mnist` makes it).
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
        self.mean, self.std = list(mean), list(std)  # python lists, as torchvision's Normalize keeps them

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
        return normalize(to_tensor(img), self.mean, self.std), int(self.labels[i])


def to_tensor(img) -> torch.Tensor:
    """torchvision's ToTensor of a PIL image: copy, HWC -> CHW, float in [0, 1]."""
    t = torch.from_numpy(np.array(img, np.uint8, copy=True))
    t = t.view(img.size[1], img.size[0], len(img.getbands())).permute((2, 0, 1)).contiguous()
    return t.to(dtype=torch.get_default_dtype()).div(255)


def normalize(t: torch.Tensor, mean, std) -> torch.Tensor:
    """torchvision's Normalize (not in place): a copy, mean/std as tensors per call, the zero-std check."""
    t = t.clone()
    mean = torch.as_tensor(mean, dtype=t.dtype, device=t.device)
    std = torch.as_tensor(std, dtype=t.dtype, device=t.device)
    if (std == 0).any():
        raise ValueError("std evaluated to zero")
    return t.sub_(mean.view(-1, 1, 1)).div_(std.view(-1, 1, 1))


def extract_mnist(data_root: Path, raw: Path) -> Path:
    """The uncompressed idx files of <data_root>/mnist in `raw` (torchvision keeps them after download)."""
    import gzip

    raw.mkdir(parents=True, exist_ok=True)
    for gz in (Path(data_root) / "mnist").glob("*.gz"):
        target = raw / gz.stem
        if not target.exists():
            target.write_bytes(gzip.decompress(gz.read_bytes()))
    return raw


def read_mnist(raw: Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """torchvision's MNIST construction: parse the raw idx files (done again for every dataset object)."""
    prefix = "train" if train else "t10k"
    images = torch.frombuffer(bytearray((raw / f"{prefix}-images-idx3-ubyte").read_bytes()[16:]), dtype=torch.uint8)
    labels = torch.frombuffer(bytearray((raw / f"{prefix}-labels-idx1-ubyte").read_bytes()[8:]), dtype=torch.uint8)
    return images.view(-1, 28, 28).numpy(), labels.long().numpy()


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
    logger = [f"test_accuracy,0,{accuracy}"]
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "ep": 0, "logger": "\n".join(logger)},
               out / "checkpoint.pth")
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
            logger.append(f"test_accuracy,{step},{accuracy}")
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "ep": ep + 1,
                    "logger": "\n".join(logger)}, out / "checkpoint.pth")
    torch.save(model.state_dict(), out / "model_end.pth")
    (out / "logger").write_text("\n".join(logger))
    return accuracy


def next_masks(model: torch.nn.Module, masks: dict, fraction: float = 0.2) -> dict:
    """Global magnitude pruning of `fraction` of the remaining weights of the masked tensors."""
    params = dict(model.named_parameters())
    kept = torch.cat([params[n].detach().abs()[m.bool()] for n, m in masks.items()])
    k = int(np.ceil(fraction * kept.numel()))
    threshold = kept.sort().values[k]
    return {n: (m.bool() & (params[n].detach().abs() >= threshold)).float() for n, m in masks.items()}


def lenet_lottery(raw: Path, out: Path, levels: int = 2, epochs: int = 2, iterations: int | None = None) -> None:
    init = model_registry.build("mnist_lenet_300_100", (1, 28, 28), 10, seed=0).state_dict()
    model = model_registry.build("mnist_lenet_300_100", (1, 28, 28), 10, seed=0)
    masks = {n: torch.ones_like(p) for n, p in model.named_parameters() if n.endswith("weight") and n != "fc.weight"}
    for level in range(levels + 1):
        level_dir = out / f"level_{level}"
        level_dir.mkdir(parents=True, exist_ok=True)
        torch.save({n: m.int() for n, m in masks.items()}, level_dir / "mask.pth")
        kept = sum(int(m.sum()) for m in masks.values())
        (level_dir / "sparsity_report.json").write_text(
            f'{{"total": {float(sum(m.numel() for m in masks.values()))}, "unpruned": {float(kept)}}}')
        train_set = PerExample(*read_mnist(raw, True), MNIST_MEAN, MNIST_STD, False)  # a dataset per job
        test_set = PerExample(*read_mnist(raw, False), MNIST_MEAN, MNIST_STD, False)
        model = model_registry.build("mnist_lenet_300_100", (1, 28, 28), 10, seed=0)
        model.load_state_dict(init)
        accuracy = train_level(model, train_set, test_set, masks, level_dir, lr=0.1, momentum=0.0,
                               weight_decay=0.0, epochs=epochs, iterations=iterations)
        print(f"level {level}: test accuracy {100 * accuracy:.2f}%", flush=True)
        masks = next_masks(model, masks)


def resnet_run(data_root: Path, out: Path, iterations: int = 100) -> None:  # noqa: D103
    from sparselab.data import registry

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
    which, root, target, sizes = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), [int(a) for a in sys.argv[4:]]
    (lenet_lottery if which == "lenet" else resnet_run)(root, target, *sizes)
