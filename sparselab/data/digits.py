"""scikit-learn's bundled 8x8 digits (1797 images, no files): values 0..16 become uint8 round(v * 255 / 16);
the split of `data.tabular` (20 % of every class, seed 0): 1438 train / 359 test."""
from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import torch

from sparselab.data.base import DatasetSource, ImageSet
from sparselab.data.tabular import stratified_test_mask

def bundled_file() -> Path | None:
    """scikit-learn's `datasets/data/digits.csv.gz`, found without importing scikit-learn (its import
    costs about a second, the parse 20 ms); None where the package is not laid out so."""
    spec = importlib.util.find_spec("sklearn")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    path = Path(locations[0]) / "datasets" / "data" / "digits.csv.gz" if locations else None
    return path if path is not None and path.is_file() else None


def pixels_and_labels() -> tuple[np.ndarray, np.ndarray]:
    """(images [1797, 8, 8] of values 0..16, labels): the rows `sklearn.datasets.load_digits` returns."""
    path = bundled_file()
    if path is None:
        from sklearn.datasets import load_digits

        digits = load_digits()
        return digits.images, digits.target
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(int)


def load(folder: Path) -> tuple[ImageSet, ImageSet]:
    pixels, target = pixels_and_labels()
    images = np.rint(pixels * (255.0 / 16.0)).astype(np.uint8)[:, None, :, :]
    labels = target.astype(np.int64)
    test = stratified_test_mask(labels)

    def split(mask: np.ndarray) -> ImageSet:
        return ImageSet(torch.from_numpy(images[mask].copy()), torch.from_numpy(labels[mask].copy()))

    return split(~test), split(test)


SOURCE = DatasetSource(name="digits", train_size=1438, num_classes=10, image_shape=(1, 8, 8), mean=(0.3053,),
                       std=(0.3759,), augmentation="none", folder="digits", load=load, expected_files=(),
                       class_names=tuple(str(d) for d in range(10)))
