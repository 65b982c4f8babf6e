"""scikit-learn's bundled sets, needing no files: the 8x8 digits (1797 images) and the tables breast_cancer (569)
and wine (178). A table is a float32 `ImageSet` [N, 1, 1, F] standardised with the TRAINING split's mean and
population std (1 where that is 0), so no test statistic leaks; loaders pass float tensors through unchanged."""
from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import torch

from sparselab.data.base import DatasetSource, ImageSet


def stratified_test_mask(labels: np.ndarray, fraction: float = 0.2, seed: int = 0) -> np.ndarray:
    """round(fraction * n_c) examples of every class c, chosen by a seeded permutation, are the test set."""
    rng = np.random.default_rng(seed)
    test = np.zeros(labels.shape[0], dtype=bool)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        test[rng.permutation(members)[: round(fraction * members.size)]] = True
    return test


def standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (train - mean) / std, (test - mean) / std


def table_split(features: np.ndarray, labels: np.ndarray, test: np.ndarray) -> tuple[ImageSet, ImageSet]:
    features = np.asarray(features, dtype=np.float64)
    train_x, test_x = standardise(features[~test], features[test])

    def as_set(x: np.ndarray, y: np.ndarray) -> ImageSet:
        images = torch.from_numpy(x.astype(np.float32)).reshape(x.shape[0], 1, 1, x.shape[1])
        return ImageSet(images.contiguous(), torch.from_numpy(y.astype(np.int64)))

    return as_set(train_x, labels[~test]), as_set(test_x, labels[test])


def bundled_table(name: str, loader: str, train_size: int, features: int,
                  class_names: tuple[str, ...]) -> DatasetSource:
    """The source of `sklearn.datasets.<loader>()` with the fixed stratified split (20 % of each class, seed 0)."""

    def load(folder: Path) -> tuple[ImageSet, ImageSet]:
        import sklearn.datasets  # only the bundled tables need scikit-learn

        data = getattr(sklearn.datasets, loader)()
        labels = data.target.astype("int64")
        return table_split(data.data, labels, stratified_test_mask(labels))

    return DatasetSource(name=name, train_size=train_size, num_classes=len(class_names), image_shape=(1, 1, features),
                         mean=(0.0,), std=(1.0,), augmentation="none", folder=name, load=load, expected_files=(),
                         class_names=class_names)


BREAST_CANCER = bundled_table("breast_cancer", "load_breast_cancer", 456, 30, ("malignant", "benign"))  # 113 test
WINE = bundled_table("wine", "load_wine", 142, 13, ("class_0", "class_1", "class_2"))  # 36 test


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


def load_digits(folder: Path) -> tuple[ImageSet, ImageSet]:
    """Values 0..16 become uint8 round(v * 255 / 16); the split of the tables: 1438 train / 359 test."""
    pixels, target = pixels_and_labels()
    images = np.rint(pixels * (255.0 / 16.0)).astype(np.uint8)[:, None, :, :]
    labels = target.astype(np.int64)
    test = stratified_test_mask(labels)

    def split(mask: np.ndarray) -> ImageSet:
        return ImageSet(torch.from_numpy(images[mask].copy()), torch.from_numpy(labels[mask].copy()))

    return split(~test), split(test)


DIGITS = DatasetSource(name="digits", train_size=1438, num_classes=10, image_shape=(1, 8, 8), mean=(0.3053,),
                       std=(0.3759,), augmentation="none", folder="digits", load=load_digits, expected_files=(),
                       class_names=tuple(str(d) for d in range(10)))
