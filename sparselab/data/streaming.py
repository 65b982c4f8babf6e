"""ImageNet (ILSVRC-2012) in ImageFolder layout, `<dataset_root>/imagenet/{train,val}/<wnid>/*.JPEG` (classes: the
sorted train folders, files in sorted name order), streamed: PIL decoding in DataLoader workers, with `TrainLoader`'s
order and sharding; an example's augmentation is seeded by (augmentation_seed, ep, index), not by its worker."""
from __future__ import annotations

import math
import os
import random
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from sparselab.data.base import DatasetSource, FileSet, MissingFile, corrupt, require
from sparselab.data.loader import Batch, EpochOrder, InOrder, Normalizer, pick
from sparselab.core.seeds import derive_seed

IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png")


def _class_folders(split: Path) -> list[str]:
    require(split)
    return sorted(entry.name for entry in os.scandir(split) if entry.is_dir())


def _list_split(split: Path, classes: list[str]) -> FileSet:
    paths: list[Path] = []
    labels: list[int] = []
    for label, wnid in enumerate(classes):
        folder = split / wnid
        if not folder.is_dir():
            continue  # a class may have no images in this split
        names = sorted(e.name for e in os.scandir(folder) if e.is_file() and e.name.lower().endswith(IMAGE_EXTENSIONS))
        paths += [folder / name for name in names]
        labels += [label] * len(names)
    if not paths:
        raise MissingFile(str(split / "<wnid>" / "*.JPEG"))
    return FileSet(paths, torch.tensor(labels, dtype=torch.int64))


def load_imagenet(folder: Path) -> tuple[FileSet, FileSet]:
    classes = _class_folders(folder / "train")
    unknown = sorted(set(_class_folders(folder / "val")) - set(classes))
    if unknown:
        raise corrupt(folder / "val", f"class folders {unknown[:3]} are not in train/")
    return _list_split(folder / "train", classes), _list_split(folder / "val", classes)


IMAGENET = DatasetSource(
    name="imagenet", num_classes=1000, image_shape=(3, 224, 224), mean=(0.485, 0.456, 0.406),
    std=(0.229, 0.224, 0.225), augmentation="random_resized_crop_flip", folder="imagenet", load=load_imagenet,
    expected_files=("train/<wnid>/*.JPEG", "val/<wnid>/*.JPEG"), streaming=True)


SCALE = (0.08, 1.0)
RATIO = (3 / 4, 4 / 3)


def random_resized_crop_box(rng: random.Random, width: int, height: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of a crop covering SCALE of the area with aspect ratio in RATIO; after ten tries,
    the largest centred crop whose aspect ratio is clamped to RATIO."""
    area = width * height
    log_lo, log_hi = math.log(RATIO[0]), math.log(RATIO[1])
    for _ in range(10):
        target = area * rng.uniform(*SCALE)
        aspect = math.exp(rng.uniform(log_lo, log_hi))
        w, h = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            top = rng.randint(0, height - h)  # drawn before left (the seeded stream's order)
            left = rng.randint(0, width - w)
            return left, top, left + w, top + h
    aspect = width / height
    if aspect < RATIO[0]:
        w, h = width, round(width / RATIO[0])
    elif aspect > RATIO[1]:
        w, h = round(height * RATIO[1]), height
    else:
        w, h = width, height
    left, top = (width - w) // 2, (height - h) // 2
    return left, top, left + w, top + h


def _open_rgb(path: Path):
    from PIL import Image

    with Image.open(path) as img:
        return img.convert("RGB")


def _to_tensor(img) -> torch.Tensor:
    return torch.from_numpy(np.asarray(img, dtype=np.uint8).transpose(2, 0, 1).copy())


def train_transform(path: Path, rng: random.Random, size: int, resize_size: int):
    from PIL import Image

    img = _open_rgb(path)
    box = random_resized_crop_box(rng, img.width, img.height)
    img = img.resize((size, size), Image.Resampling.BILINEAR, box=box)
    if rng.random() < 0.5:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return _to_tensor(img)


def eval_transform(path: Path, rng: random.Random | None, size: int, resize_size: int):
    """Resize the shorter side to `resize_size`, then centre-crop `size` x `size`."""
    from PIL import Image

    img = _open_rgb(path)
    scale = resize_size / min(img.width, img.height)
    w, h = max(size, round(img.width * scale)), max(size, round(img.height * scale))
    img = img.resize((w, h), Image.Resampling.BILINEAR)
    left, top = (w - size) // 2, (h - size) // 2
    return _to_tensor(img.crop((left, top, left + size, top + size)))


STREAMING_AUGMENTATIONS: dict[str, Callable] = {"random_resized_crop_flip": train_transform, "none": eval_transform}


class _Examples(Dataset):
    """Example `index` of the file set, transformed with a generator seeded by (seed, epoch, index)."""

    def __init__(self, files: FileSet, transform: Callable, seed: int, ep: int, size: int, resize_size: int) -> None:
        self.files, self.transform = files, transform
        self.seed, self.ep, self.size, self.resize_size = seed, ep, size, resize_size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = random.Random(derive_seed("augmentation", self.seed, self.ep, index))
        image = self.transform(self.files.paths[index], rng, self.size, self.resize_size)
        return image, self.files.labels[index]


def _loader(dataset: Dataset, batches: list[list[int]], num_workers: int, device: torch.device,
            normalize: Normalizer) -> Iterator[Batch]:
    loader = DataLoader(dataset, batch_sampler=batches, num_workers=num_workers, pin_memory=device.type == "cuda",
                        prefetch_factor=4 if num_workers > 0 else None)
    for x, y in loader:
        yield normalize(x.to(device, non_blocking=True)), y.to(device, non_blocking=True)


class StreamingTrainLoader(EpochOrder):
    def __init__(self, files: FileSet, batch_size: int, device: torch.device | str, data_order_seed: int,
                 augmentation_seed: int, augmentation: str, mean: Sequence[float], std: Sequence[float],
                 channels_last: bool = False, rank: int = 0, world_size: int = 1, num_workers: int = 4,
                 image_size: int = 224, resize_size: int = 256) -> None:
        self._transform = pick(STREAMING_AUGMENTATIONS, augmentation, "streaming augmentation")
        super().__init__(len(files), batch_size, device, data_order_seed, augmentation_seed, mean, std, 3, channels_last,
                         rank, world_size)
        self.files, self.num_workers, self.image_size, self.resize_size = files, num_workers, image_size, resize_size

    def epoch(self, ep: int, start_iteration: int = 0) -> Iterator[Batch]:
        self.check_start(start_iteration)
        order = self.order(ep)
        batches = [order[self.positions(it)].tolist() for it in range(start_iteration, self.iterations_per_epoch)]
        dataset = _Examples(self.files, self._transform, self.augmentation_seed, ep, self.image_size, self.resize_size)
        return _loader(dataset, batches, self.num_workers, self.device, self._normalize)


class StreamingEvalLoader(InOrder):
    """In-order batches: shorter side resized to `resize_size`, centre crop `image_size`, normalised."""

    def __init__(self, files: FileSet, batch_size: int, device: torch.device | str, mean: Sequence[float],
                 std: Sequence[float], channels_last: bool = False, num_workers: int = 4, image_size: int = 224,
                 resize_size: int = 256) -> None:
        super().__init__(len(files), batch_size, device, mean, std, 3, channels_last)
        self.files, self.num_workers, self.image_size, self.resize_size = files, num_workers, image_size, resize_size

    def __iter__(self) -> Iterator[Batch]:
        n, size = self.num_examples, self.batch_size
        batches = [list(range(s, min(s + size, n))) for s in range(0, n, size)]
        dataset = _Examples(self.files, eval_transform, 0, 0, self.image_size, self.resize_size)
        return _loader(dataset, batches, self.num_workers, self.device, self._normalize)
