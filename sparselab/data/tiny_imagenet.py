"""Tiny-ImageNet-200 as distributed in `<dataset_root>/tiny_imagenet/tiny-imagenet-200/`: classes are the sorted
wnids, files in sorted name order, val/ is the test split. The JPEGs are decoded once into `tiny-imagenet-200.npz`
next to the folder (which may then be deleted)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import filelock
import numpy as np
import torch
import torch.nn.functional as F

from sparselab.data.base import DatasetSource, ImageSet, RemoteFile, corrupt, require
from sparselab.core.io import atomic_write

SUBFOLDER = "tiny-imagenet-200"
CACHE_NAME = "tiny-imagenet-200.npz"
SIZE = 64
_CACHE_KEYS = ("wnids", "train_images", "train_labels", "test_images", "test_labels")


def _decode(path: Path) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as img:
            array = np.asarray(img.convert("RGB"))
    except OSError as e:
        raise corrupt(path, f"cannot decode image ({e})") from None
    if array.shape != (SIZE, SIZE, 3):
        raise corrupt(path, f"image is {array.shape[1]}x{array.shape[0]}, expected {SIZE}x{SIZE}")
    return array


def _decode_all(paths: list[Path]) -> np.ndarray:
    out = np.empty((len(paths), 3, SIZE, SIZE), dtype=np.uint8)
    with ThreadPoolExecutor(max_workers=8) as pool:  # PIL releases the GIL while decoding
        for i, array in enumerate(pool.map(_decode, paths)):
            out[i] = array.transpose(2, 0, 1)
    return out


def _build_cache(base: Path, cache: Path) -> None:
    wnids = sorted(line.strip() for line in require(base / "wnids.txt").read_text().splitlines() if line.strip())
    index = {wnid: i for i, wnid in enumerate(wnids)}
    train_paths, train_labels = [], []
    for wnid in wnids:
        files = sorted(require(base / "train" / wnid / "images").glob("*.JPEG"))
        train_paths += files
        train_labels += [index[wnid]] * len(files)
    annotations = require(base / "val" / "val_annotations.txt")
    val_class = {}
    for line in annotations.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or parts[1] not in index:
            raise corrupt(annotations, f"bad line {line!r}")
        val_class[parts[0]] = index[parts[1]]
    test_paths = [require(base / "val" / "images" / name) for name in sorted(val_class)]
    arrays = {"wnids": np.array(wnids), "train_images": _decode_all(train_paths),
              "train_labels": np.array(train_labels, dtype=np.int64), "test_images": _decode_all(test_paths),
              "test_labels": np.array([val_class[p.name] for p in test_paths], dtype=np.int64)}
    atomic_write(cache, lambda f: np.savez(f, **arrays))


def _read_cache(cache: Path) -> tuple[ImageSet, ImageSet]:
    try:
        with np.load(cache, allow_pickle=False) as data:
            arrays = {key: data[key] for key in _CACHE_KEYS}
    except (OSError, ValueError, KeyError) as e:
        raise corrupt(cache, f"unreadable cache ({e}); delete it to rebuild it from {SUBFOLDER}/") from None
    num_classes = len(arrays["wnids"])
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.dtype != np.uint8 or images.shape[1:] != (3, SIZE, SIZE) or labels.shape != (images.shape[0],):
            raise corrupt(cache, f"{split} arrays have shapes {images.shape} / {labels.shape}; delete it to rebuild")
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise corrupt(cache, f"{split} labels outside 0..{num_classes - 1}; delete it to rebuild")
    return tuple(ImageSet(torch.from_numpy(arrays[f"{split}_images"]), torch.from_numpy(arrays[f"{split}_labels"]))
                 for split in ("train", "test"))  # type: ignore[return-value]


def load(folder: Path) -> tuple[ImageSet, ImageSet]:
    cache = folder / CACHE_NAME
    if not cache.exists():
        require(folder / SUBFOLDER / "wnids.txt")
        with filelock.FileLock(str(folder / ".cache.lock")):  # one process decodes, the others wait
            if not cache.exists():
                _build_cache(folder / SUBFOLDER, cache)
    return _read_cache(cache)


def resize_to(image_set: ImageSet, size: int, chunk: int = 4096) -> ImageSet:
    """A copy with images resized to size x size (bilinear, antialiased when shrinking), done once."""
    images = image_set.images
    out = torch.empty((images.shape[0], images.shape[1], size, size), dtype=torch.uint8)
    for start in range(0, images.shape[0], chunk):
        x = images[start : start + chunk].to(torch.float32)
        y = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        out[start : start + chunk] = y.round_().clamp_(0, 255).to(torch.uint8)
    return ImageSet(out, image_set.labels.clone())


SOURCE = DatasetSource(
    name="tiny_imagenet", train_size=100000, num_classes=200, image_shape=(3, SIZE, SIZE),
    mean=(0.4802, 0.4481, 0.3975), std=(0.2770, 0.2691, 0.2821), augmentation="crop_flip", folder="tiny_imagenet",
    load=load, expected_files=tuple(f"{SUBFOLDER}/{f}" for f in (
        "wnids.txt", "train/<wnid>/images/*.JPEG", "val/images/*.JPEG", "val/val_annotations.txt")),
    downloads=(RemoteFile("tiny-imagenet-200.zip", ("http://cs231n.stanford.edu/tiny-imagenet-200.zip",),
                          "90528d7ca1a48142e341f4ef8d21d0de", extract=True),),
)
