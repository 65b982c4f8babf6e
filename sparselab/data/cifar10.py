"""CIFAR-10, python version: `<dataset_root>/cifar10/cifar-10-batches-py/{data_batch_1..5,test_batch}`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from sparselab.data.base import DatasetSource, ImageSet
from sparselab.data.pickles import archive, batch_images, batch_labels, read_batch

SUBFOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"


def _read(paths: list[Path]) -> ImageSet:
    images, labels = [], []
    for path in paths:
        batch = read_batch(path)
        images.append(batch_images(path, batch))
        labels.append(batch_labels(path, batch, b"labels", images[-1].shape[0], 10))
    return ImageSet(torch.from_numpy(np.concatenate(images)), torch.from_numpy(np.concatenate(labels)))


def load(folder: Path) -> tuple[ImageSet, ImageSet]:
    base = folder / SUBFOLDER
    return _read([base / name for name in TRAIN_BATCHES]), _read([base / TEST_BATCH])


SOURCE = DatasetSource(
    name="cifar10", train_size=50000, num_classes=10, image_shape=(3, 32, 32), mean=(0.4914, 0.4822, 0.4465),
    std=(0.2470, 0.2435, 0.2616), augmentation="crop_flip", folder="cifar10", load=load,
    expected_files=tuple(f"{SUBFOLDER}/{name}" for name in TRAIN_BATCHES + (TEST_BATCH,)),
    downloads=(archive("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a"),),
    class_names=("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
    layouts=(("", "torchvision"),),  # torchvision's CIFAR10(root=<dataset_root>); OpenLTH's is cifar10/ as here
)
