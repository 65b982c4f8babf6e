"""SVHN (cropped digits): `<dataset_root>/svhn/{train,test}_32x32.mat`: X uint8 [32, 32, 3, N], y [N, 1] in
1..10 where 10 is the digit 0. Crop without flip: a mirrored digit is another digit."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from sparselab.data.base import DatasetSource, ImageSet, RemoteFile, corrupt, require

_URL = "http://ufldl.stanford.edu/housenumbers/"
_MD5 = {"train_32x32.mat": "e26dedcc434d2e4c54c9b2d4a06d8373", "test_32x32.mat": "eb5a983be6a315427106f1b164d9cef3"}


def _read(path: Path) -> ImageSet:
    import scipy.io  # imported here: only this dataset needs scipy

    require(path)
    try:
        mat = scipy.io.loadmat(str(path))
    except Exception as e:  # scipy raises several unrelated types for a damaged file
        raise corrupt(path, f"cannot read .mat ({type(e).__name__}: {e})") from None
    if "X" not in mat or "y" not in mat:
        raise corrupt(path, "expected variables X and y")
    x, y = np.asarray(mat["X"]), np.asarray(mat["y"]).reshape(-1)
    if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or x.shape[3] != y.shape[0]:
        raise corrupt(path, f"X has shape {x.shape} for {y.shape[0]} labels, expected (32, 32, 3, N)")
    labels = y.astype(np.int64)
    if labels.size and (labels.min() < 1 or labels.max() > 10):
        raise corrupt(path, "labels outside 1..10")
    labels[labels == 10] = 0
    images = np.ascontiguousarray(x.transpose(3, 2, 0, 1)).astype(np.uint8, copy=False)
    return ImageSet(torch.from_numpy(images), torch.from_numpy(labels))


def load(folder: Path) -> tuple[ImageSet, ImageSet]:
    return _read(folder / "train_32x32.mat"), _read(folder / "test_32x32.mat")


SOURCE = DatasetSource(
    name="svhn", train_size=73257, num_classes=10, image_shape=(3, 32, 32), mean=(0.4377, 0.4438, 0.4728),
    std=(0.1980, 0.2010, 0.1970), augmentation="crop", folder="svhn", load=load, expected_files=tuple(_MD5),
    downloads=tuple(RemoteFile(name, (_URL + name,), md5) for name, md5 in _MD5.items()),
    class_names=tuple(str(d) for d in range(10)),
    layouts=(("", "torchvision"),),  # torchvision's SVHN(root=<dataset_root>): the .mat files directly there
)
