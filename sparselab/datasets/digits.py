"""scikit-learn's bundled 8x8 digits (1797 images): a tiny real dataset that needs no files.

Pixel values 0..16 become uint8 round(v * 255 / 16). The train/test split is fixed: 20 % of every
class, chosen by a seeded permutation, is the test set (stratified: 1438 train / 359 test).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from sparselab.datasets.base import DatasetSource, ImageSet
from sparselab.datasets.tabular import stratified_test_mask

SPLIT_SEED = 0
TEST_FRACTION = 0.2  # the split of datasets.tabular.stratified_test_mask, the same for every table


def load(folder: Path) -> tuple[ImageSet, ImageSet]:
    from sklearn.datasets import load_digits  # imported here: only this dataset needs scikit-learn

    digits = load_digits()
    images = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)[:, None, :, :]
    labels = digits.target.astype(np.int64)
    test = stratified_test_mask(labels, TEST_FRACTION, SPLIT_SEED)

    def split(mask: np.ndarray) -> ImageSet:
        return ImageSet(torch.from_numpy(images[mask].copy()), torch.from_numpy(labels[mask].copy()))

    return split(~test), split(test)


SOURCE = DatasetSource(
    name="digits",
    train_size=1438,
    num_classes=10,
    image_shape=(1, 8, 8),
    mean=(0.3053,),
    std=(0.3759,),
    augmentation="none",
    folder="digits",
    load=load,
    expected_files=(),
    class_names=tuple(str(d) for d in range(10)),
)
