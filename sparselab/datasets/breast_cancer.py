"""scikit-learn's bundled Wisconsin breast-cancer table (569 examples, 30 numeric features, 2 classes).

Needs no files. Fixed stratified split (`datasets.tabular`: 20 % of each class, seed 0): 456 train /
113 test; features standardised with the train split's statistics.
"""
from __future__ import annotations

from pathlib import Path

from sparselab.datasets.base import DatasetSource, ImageSet
from sparselab.datasets.tabular import stratified_test_mask, table_split

FEATURES = 30


def load(folder: Path) -> tuple[ImageSet, ImageSet]:
    from sklearn.datasets import load_breast_cancer  # only the bundled tables need scikit-learn

    data = load_breast_cancer()
    labels = data.target.astype("int64")
    return table_split(data.data, labels, stratified_test_mask(labels))


SOURCE = DatasetSource(
    name="breast_cancer",
    train_size=456,
    num_classes=2,
    image_shape=(1, 1, FEATURES),
    mean=(0.0,),
    std=(1.0,),
    augmentation="none",
    folder="breast_cancer",
    load=load,
    expected_files=(),
    class_names=("malignant", "benign"),
)
