"""scikit-learn's bundled wine table (178 examples, 13 numeric features, 3 cultivars).

Needs no files. Fixed stratified split (`datasets.tabular`: 20 % of each class, seed 0): 142 train /
36 test; features standardised with the train split's statistics.
"""
from __future__ import annotations

from pathlib import Path

from sparselab.datasets.base import DatasetSource, ImageSet
from sparselab.datasets.tabular import stratified_test_mask, table_split

FEATURES = 13


def load(folder: Path) -> tuple[ImageSet, ImageSet]:
    from sklearn.datasets import load_wine  # only the bundled tables need scikit-learn

    data = load_wine()
    labels = data.target.astype("int64")
    return table_split(data.data, labels, stratified_test_mask(labels))


SOURCE = DatasetSource(
    name="wine",
    train_size=142,
    num_classes=3,
    image_shape=(1, 1, FEATURES),
    mean=(0.0,),
    std=(1.0,),
    augmentation="none",
    folder="wine",
    load=load,
    expected_files=(),
    class_names=("class_0", "class_1", "class_2"),
)
