"""Tables as float32 `ImageSet`s [N, 1, 1, F], standardised with the TRAINING split's mean and population std
(1 where that is 0) so no test statistic leaks; loaders pass float tensors through unchanged and an MLP sees F
inputs. The bundled tables: scikit-learn's breast_cancer (569 examples) and wine (178), needing no files."""
from __future__ import annotations

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
