"""ImageNet (ILSVRC-2012) in ImageFolder layout, `<dataset_root>/imagenet/{train,val}/<wnid>/*.JPEG`, as
`FileSet`s for `data.streaming`. Classes are the sorted train folder names; files in sorted name order."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from sparselab.data.base import DatasetSource, FileSet, MissingFile, corrupt, require

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


def load(folder: Path) -> tuple[FileSet, FileSet]:
    classes = _class_folders(folder / "train")
    unknown = sorted(set(_class_folders(folder / "val")) - set(classes))
    if unknown:
        raise corrupt(folder / "val", f"class folders {unknown[:3]} are not in train/")
    return _list_split(folder / "train", classes), _list_split(folder / "val", classes)


SOURCE = DatasetSource(
    name="imagenet", num_classes=1000, image_shape=(3, 224, 224), mean=(0.485, 0.456, 0.406),
    std=(0.229, 0.224, 0.225), augmentation="random_resized_crop_flip", folder="imagenet", load=load,
    expected_files=("train/<wnid>/*.JPEG", "val/<wnid>/*.JPEG"), streaming=True)
