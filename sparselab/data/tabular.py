"""Tabular data sets as float feature tables: a fixed stratified split and train-only standardisation.

A table of N examples with F numeric features is stored as a float32 `ImageSet` of shape
[N, 1, 1, F], already standardised: every feature minus its mean over the TRAINING split, divided by
its (population) standard deviation over the training split (1 where that is 0), so no statistic of
the test split leaks into the inputs. Loaders pass float tensors through unchanged (see
`datasets.loader.Normalizer`); the sources' mean 0 / std 1 record that, and an MLP (`lenet_<N1>...`)
sees F inputs because it flattens C*H*W.
"""
from __future__ import annotations

import numpy as np
import torch

from pathlib import Path

from sparselab.data.base import DatasetSource, ImageSet

SPLIT_SEED = 0
TEST_FRACTION = 0.2
TABLE_SHAPE_PREFIX = (1, 1)  # (C, H) of a table: images of 1 x 1 x F


def stratified_test_mask(labels: np.ndarray, fraction: float = TEST_FRACTION, seed: int = SPLIT_SEED) -> np.ndarray:
    """round(fraction * n_c) examples of every class c, chosen by a seeded permutation, are the test set."""
    rng = np.random.default_rng(seed)
    test = np.zeros(labels.shape[0], dtype=bool)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        test[rng.permutation(members)[: round(fraction * members.size)]] = True
    return test


def standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) minus the train mean, over the train standard deviation (1 for a constant feature)."""
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (train - mean) / std, (test - mean) / std


def table_split(features: np.ndarray, labels: np.ndarray, test: np.ndarray) -> tuple[ImageSet, ImageSet]:
    """(train, test) ImageSets of standardised float32 features [N, 1, 1, F] and int64 labels."""
    features = np.asarray(features, dtype=np.float64)
    train_x, test_x = standardise(features[~test], features[test])

    def as_set(x: np.ndarray, y: np.ndarray) -> ImageSet:
        images = torch.from_numpy(x.astype(np.float32)).reshape(x.shape[0], *TABLE_SHAPE_PREFIX, x.shape[1])
        return ImageSet(images.contiguous(), torch.from_numpy(y.astype(np.int64)))

    return as_set(train_x, labels[~test]), as_set(test_x, labels[test])


def split_sizes(labels: np.ndarray) -> tuple[int, int]:
    """(train, test) sizes of the fixed split of `labels`."""
    test = int(stratified_test_mask(labels).sum())
    return labels.shape[0] - test, test


def bundled_table(name: str, loader: str, train_size: int, features: int,
                  class_names: tuple[str, ...]) -> DatasetSource:
    """The source of one of scikit-learn's bundled tables (`sklearn.datasets.<loader>`): no files."""

    def load(folder: Path) -> tuple[ImageSet, ImageSet]:
        import sklearn.datasets  # only the bundled tables need scikit-learn

        data = getattr(sklearn.datasets, loader)()
        labels = data.target.astype("int64")
        return table_split(data.data, labels, stratified_test_mask(labels))

    return DatasetSource(name=name, train_size=train_size, num_classes=len(class_names),
                         image_shape=(*TABLE_SHAPE_PREFIX, features), mean=(0.0,), std=(1.0,),
                         augmentation="none", folder=name, load=load, expected_files=(), class_names=class_names)
