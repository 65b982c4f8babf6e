"""What a dataset is: splits in memory (or file lists), and a `DatasetSource` whose `load(folder)` reads the
standard files. Readers raise `MissingFile` for an absent file (the registry names the files, the folders and
`--download`) and `corrupt(...)`, a `UsageError` naming the file, for a malformed one."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Union

import torch

from sparselab.core.errors import UsageError


@dataclass
class ImageSet:
    """An in-memory split. Shared through the registry cache: never modify the tensors in place."""

    images: torch.Tensor  # uint8 [N, C, H, W]; float32 for tables, already standardised (data.tabular)
    labels: torch.Tensor  # int64 [N]

    def __post_init__(self) -> None:
        if self.images.dtype not in (torch.uint8, torch.float32) or self.images.dim() != 4:
            raise ValueError(f"images must be uint8 (or float32 features) [N,C,H,W], got {self.images.dtype} "
                             f"{tuple(self.images.shape)}")
        if self.labels.dtype != torch.int64 or self.labels.shape != (self.images.shape[0],):
            raise ValueError(f"labels must be int64 [N], got {self.labels.dtype} {tuple(self.labels.shape)}")

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, indices: torch.Tensor) -> "ImageSet":
        return ImageSet(self.images[indices], self.labels[indices])

    def with_labels(self, labels: torch.Tensor) -> "ImageSet":
        return ImageSet(self.images, labels)


@dataclass
class FileSet:
    """A split that does not fit in memory (ImageNet): image paths and their labels, in a fixed order."""

    paths: list[Path]
    labels: torch.Tensor  # int64 [N]

    def __post_init__(self) -> None:
        if self.labels.dtype != torch.int64 or self.labels.shape != (len(self.paths),):
            raise ValueError(f"labels must be int64 [{len(self.paths)}], got {self.labels.dtype} "
                             f"{tuple(self.labels.shape)}")

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, indices: torch.Tensor) -> "FileSet":
        return FileSet([self.paths[i] for i in indices.tolist()], self.labels[indices])

    def with_labels(self, labels: torch.Tensor) -> "FileSet":
        return FileSet(self.paths, labels)


Split = Union[ImageSet, FileSet]


@dataclass(frozen=True)
class RemoteFile:
    """One file of the official distribution: fetched from the first URL that answers, checked by MD5;
    `extract`: an archive (.tar.gz, .zip) unpacked into the dataset folder."""

    filename: str
    urls: tuple[str, ...]
    md5: str
    extract: bool = False


@dataclass(frozen=True)
class DatasetSource:
    name: str
    num_classes: int
    image_shape: tuple[int, int, int]  # (C, H, W) as stored on disk / in memory
    mean: tuple[float, ...]  # per channel, in 0..1 pixel units
    std: tuple[float, ...]
    augmentation: str  # a key of data.loader.AUGMENTATIONS (or of data.streaming.STREAMING_AUGMENTATIONS)
    folder: str  # subfolder of dataset_root
    load: Callable[[Path], tuple[Split, Split]]
    expected_files: tuple[str, ...]  # relative to the folder, for the "missing" message
    downloads: tuple[RemoteFile, ...] = ()
    class_names: tuple[str, ...] | None = None
    streaming: bool = False  # load returns FileSets, batched by the streaming loaders
    train_size: int | None = None  # examples of the standard training set: epochs -> iterations before loading
    # other folders under dataset_root that hold the same files, as (path, who writes it there): OpenLTH's
    # (torchvision's classes under `<root>/<name>/`) and torchvision's own (`root=<dataset_root>`)
    layouts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        channels = self.image_shape[0]
        if len(self.mean) != channels or len(self.std) != channels:
            raise ValueError(f"{self.name}: mean/std need {channels} entries")
        if self.class_names is not None and len(self.class_names) != self.num_classes:
            raise ValueError(f"{self.name}: {len(self.class_names)} class names for {self.num_classes} classes")


class MissingFile(FileNotFoundError):
    pass


def require(path: Path) -> Path:
    if not path.exists():
        raise MissingFile(str(path))
    return path


def corrupt(path: Path, why: str) -> UsageError:
    return UsageError(f"corrupt dataset file {path}: {why}")
