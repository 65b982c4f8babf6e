"""MNIST and Fashion-MNIST: the four idx files (big-endian header, then raw uint8 data), gzipped or raw,
in `<dataset_root>/<name>/`."""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np
import torch

from sparselab.data.base import DatasetSource, ImageSet, MissingFile, RemoteFile, corrupt

IMAGES_MAGIC = 0x00000803  # unsigned byte, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned byte, 1 dimension


def read_idx_bytes(folder: Path, name: str) -> tuple[Path, bytes]:
    """The contents of `<name>.gz` (preferred) or `<name>` in `folder`."""
    gz, raw = folder / f"{name}.gz", folder / name
    if gz.exists():
        try:
            return gz, gzip.decompress(gz.read_bytes())
        except (OSError, EOFError, zlib.error) as e:
            raise corrupt(gz, f"not a valid gzip file ({e})") from None
    if raw.exists():
        return raw, raw.read_bytes()
    raise MissingFile(str(gz))


def parse_idx(path: Path, data: bytes, magic: int, ndim: int) -> np.ndarray:
    header = 4 + 4 * ndim
    if len(data) < header:
        raise corrupt(path, f"{len(data)} bytes is shorter than the idx header")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise corrupt(path, f"idx magic number {found:#010x}, expected {magic:#010x}")
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        raise corrupt(path, f"{len(data)} bytes, expected {expected} for shape {tuple(dims)}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_idx_split(folder: Path, prefix: str, num_classes: int, image_hw: tuple[int, int]) -> ImageSet:
    """`<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte` as an ImageSet [N,1,H,W]."""
    image_path, image_bytes = read_idx_bytes(folder, f"{prefix}-images-idx3-ubyte")
    label_path, label_bytes = read_idx_bytes(folder, f"{prefix}-labels-idx1-ubyte")
    images = parse_idx(image_path, image_bytes, IMAGES_MAGIC, 3)
    labels = parse_idx(label_path, label_bytes, LABELS_MAGIC, 1)
    if tuple(images.shape[1:]) != image_hw:
        raise corrupt(image_path, f"images are {images.shape[1:]}, expected {image_hw}")
    if labels.shape[0] != images.shape[0]:
        raise corrupt(label_path, f"{labels.shape[0]} labels for {images.shape[0]} images in {image_path.name}")
    if labels.size and int(labels.max()) >= num_classes:
        raise corrupt(label_path, f"label {int(labels.max())} outside 0..{num_classes - 1}")
    return ImageSet(torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64)))


def load_idx_dataset(folder: Path, num_classes: int = 10, image_hw: tuple[int, int] = (28, 28)) -> tuple[ImageSet, ImageSet]:
    return load_idx_split(folder, "train", num_classes, image_hw), load_idx_split(folder, "t10k", num_classes, image_hw)


def idx_source(name: str, mirrors: tuple[str, ...], md5: dict[str, str], mean: float, std: float,
               class_names: tuple[str, ...], torchvision: str) -> DatasetSource:
    """28x28 grey images, 10 classes, four idx files (also found where torchvision's class `torchvision`
    keeps them: `<root>/<torchvision>/raw/`)."""
    return DatasetSource(
        name=name, train_size=60000, num_classes=10, image_shape=(1, 28, 28), mean=(mean,), std=(std,), augmentation="none",
        folder=name, load=load_idx_dataset,
        expected_files=tuple(f.replace(".gz", "[.gz]") for f in md5),
        downloads=tuple(RemoteFile(f, tuple(m + f for m in mirrors), digest) for f, digest in md5.items()),
        class_names=class_names,
        layouts=((f"{name}/{torchvision}/raw", "OpenLTH"), (f"{torchvision}/raw", "torchvision")))


def _files(*digests: str) -> dict[str, str]:
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz")
    return dict(zip(names, digests))


MNIST = idx_source("mnist", ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
                   _files("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                          "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"),
                   mean=0.1307, std=0.3081, class_names=tuple(str(d) for d in range(10)), torchvision="MNIST")
FASHION_MNIST = idx_source("fashion_mnist", ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
                           _files("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                                  "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"),
                           mean=0.2860, std=0.3530, torchvision="FashionMNIST",
                           class_names=("t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                                        "sneaker", "bag", "ankle boot"))
