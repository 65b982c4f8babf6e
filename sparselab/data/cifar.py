"""CIFAR-10 and CIFAR-100, python version: pickled dicts from `<dataset_root>/cifar10/cifar-10-batches-py/` and
`<dataset_root>/cifar100/cifar-100-python/`, official (Python-2 pickles) or re-pickled by Python 3. The unpickler
resolves only numpy's array globals (and `_codecs.encode` only for latin-1), so a doctored file cannot run code."""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sparselab.data.base import DatasetSource, ImageSet, RemoteFile, corrupt, require

_ALLOWED = {(f"numpy.{core}.multiarray", name) for core in ("core", "_core") for name in ("_reconstruct", "scalar")}
_ALLOWED |= {("numpy", "ndarray"), ("numpy", "dtype")}
_FROMBUFFER = {("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")}  # protocol 5
_LATIN1 = ("latin1", "latin-1", "iso-8859-1", "iso8859-1")


def _latin1_encode(text: Any, encoding: str = "utf-8") -> bytes:
    """`_codecs.encode` as protocol-2 pickles of bytes use it, and nothing else."""
    if not isinstance(text, str) or str(encoding).lower() not in _LATIN1:
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin-1")


def _frombuffer(buffer: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    """numpy's protocol-5 array constructor, for plain (non-object) dtypes only."""
    dtype = np.dtype(dtype)
    if dtype.hasobject:
        raise pickle.UnpicklingError("refusing an object array")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order).copy()  # writable, like _reconstruct


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):
            return _latin1_encode
        if (module, name) in _FROMBUFFER:
            return _frombuffer
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a CIFAR batch holds only "
                                         "numpy arrays, lists and strings")
        return super().find_class(module, name)


def read_batch(path: Path) -> dict[bytes, Any]:
    require(path)
    try:
        with open(path, "rb") as f:
            batch = _NumpyOnlyUnpickler(f, encoding="bytes").load()
    except Exception as e:  # truncated file, foreign pickle, refused global: all mean "not a CIFAR batch"
        raise corrupt(path, f"cannot unpickle ({type(e).__name__}: {e})") from None
    if not isinstance(batch, dict):
        raise corrupt(path, f"expected a dict, found {type(batch).__name__}")
    return {k.encode("utf-8") if isinstance(k, str) else k: v for k, v in batch.items()}


def batch_images(path: Path, batch: dict[bytes, Any]) -> np.ndarray:
    """b'data' ([N, 3072] uint8, channel planes in row-major order) as [N, 3, 32, 32]."""
    if b"data" not in batch:
        raise corrupt(path, "no b'data' entry")
    data = np.asarray(batch[b"data"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise corrupt(path, f"b'data' is {data.dtype} {data.shape}, expected uint8 [N, 3072]")
    return data.reshape(-1, 3, 32, 32)


def batch_labels(path: Path, batch: dict[bytes, Any], key: bytes, count: int, num_classes: int) -> np.ndarray:
    if key not in batch:
        raise corrupt(path, f"no {key!r} entry")
    labels = np.asarray(batch[key], dtype=np.int64)
    if labels.shape != (count,):
        raise corrupt(path, f"{key!r} has shape {labels.shape}, expected ({count},)")
    if count and (labels.min() < 0 or labels.max() >= num_classes):
        raise corrupt(path, f"{key!r} outside 0..{num_classes - 1}")
    return labels


def read_split(paths: list[Path], key: bytes, num_classes: int) -> ImageSet:
    images, labels = [], []
    for path in paths:
        batch = read_batch(path)
        images.append(batch_images(path, batch))
        labels.append(batch_labels(path, batch, key, images[-1].shape[0], num_classes))
    return ImageSet(torch.from_numpy(np.concatenate(images)), torch.from_numpy(np.concatenate(labels)))


def _archive(name: str, md5: str) -> RemoteFile:
    mirrors = ("https://www.cs.toronto.edu/~kriz/", "https://cave.cs.toronto.edu/kriz/")
    return RemoteFile(name, tuple(m + name for m in mirrors), md5, extract=True)


CIFAR10_FILES = tuple(f"cifar-10-batches-py/{name}" for name in (*(f"data_batch_{i}" for i in range(1, 6)),
                                                                 "test_batch"))
CIFAR100_FOLDER = "cifar-100-python"
SUPERCLASSES: dict[str, tuple[str, ...]] = {  # alphabetical (= coarse label index), five fine classes each
    "aquatic_mammals": ("beaver", "dolphin", "otter", "seal", "whale"),
    "fish": ("aquarium_fish", "flatfish", "ray", "shark", "trout"),
    "flowers": ("orchid", "poppy", "rose", "sunflower", "tulip"),
    "food_containers": ("bottle", "bowl", "can", "cup", "plate"),
    "fruit_and_vegetables": ("apple", "mushroom", "orange", "pear", "sweet_pepper"),
    "household_electrical_devices": ("clock", "keyboard", "lamp", "telephone", "television"),
    "household_furniture": ("bed", "chair", "couch", "table", "wardrobe"),
    "insects": ("bee", "beetle", "butterfly", "caterpillar", "cockroach"),
    "large_carnivores": ("bear", "leopard", "lion", "tiger", "wolf"),
    "large_man-made_outdoor_things": ("bridge", "castle", "house", "road", "skyscraper"),
    "large_natural_outdoor_scenes": ("cloud", "forest", "mountain", "plain", "sea"),
    "large_omnivores_and_herbivores": ("camel", "cattle", "chimpanzee", "elephant", "kangaroo"),
    "medium_mammals": ("fox", "porcupine", "possum", "raccoon", "skunk"),
    "non-insect_invertebrates": ("crab", "lobster", "snail", "spider", "worm"),
    "people": ("baby", "boy", "girl", "man", "woman"),
    "reptiles": ("crocodile", "dinosaur", "lizard", "snake", "turtle"),
    "small_mammals": ("hamster", "mouse", "rabbit", "shrew", "squirrel"),
    "trees": ("maple_tree", "oak_tree", "palm_tree", "pine_tree", "willow_tree"),
    "vehicles_1": ("bicycle", "bus", "motorcycle", "pickup_truck", "train"),
    "vehicles_2": ("lawn_mower", "rocket", "streetcar", "tank", "tractor"),
}
COARSE_NAMES: tuple[str, ...] = tuple(SUPERCLASSES)
FINE_NAMES: tuple[str, ...] = tuple(sorted(f for fines in SUPERCLASSES.values() for f in fines))
FINE_TO_COARSE: tuple[int, ...] = tuple(
    next(c for c, fines in enumerate(SUPERCLASSES.values()) if fine in fines) for fine in FINE_NAMES
)


def load_cifar10(folder: Path) -> tuple[ImageSet, ImageSet]:
    paths = [folder / name for name in CIFAR10_FILES]
    return read_split(paths[:5], b"labels", 10), read_split(paths[5:], b"labels", 10)


def load_cifar100(folder: Path, key: bytes = b"fine_labels") -> tuple[ImageSet, ImageSet]:
    num_classes = 100 if key == b"fine_labels" else 20
    return tuple(read_split([folder / CIFAR100_FOLDER / split], key, num_classes)  # type: ignore[return-value]
                 for split in ("train", "test"))


def load_coarse_labels(folder: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The 20-way superclass labels (train, test) as stored in the files (b'coarse_labels')."""
    train, test = load_cifar100(folder, b"coarse_labels")
    return train.labels, test.labels


def coarse_of(fine_labels: torch.Tensor) -> torch.Tensor:
    return torch.tensor(FINE_TO_COARSE, dtype=torch.int64)[fine_labels]


CIFAR10 = DatasetSource(
    name="cifar10", train_size=50000, num_classes=10, image_shape=(3, 32, 32), mean=(0.4914, 0.4822, 0.4465),
    std=(0.2470, 0.2435, 0.2616), augmentation="crop_flip", folder="cifar10", load=load_cifar10,
    expected_files=CIFAR10_FILES, downloads=(_archive("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a"),),
    class_names=("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
    layouts=(("", "torchvision"),),  # torchvision's CIFAR10(root=<dataset_root>); OpenLTH's is cifar10/ as here
)
CIFAR100 = DatasetSource(
    name="cifar100", train_size=50000, num_classes=100, image_shape=(3, 32, 32), mean=(0.5071, 0.4865, 0.4409),
    std=(0.2673, 0.2564, 0.2762), augmentation="crop_flip", folder="cifar100", load=load_cifar100,
    expected_files=(f"{CIFAR100_FOLDER}/train", f"{CIFAR100_FOLDER}/test"),
    downloads=(_archive("cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85"),), class_names=FINE_NAMES,
    layouts=(("", "torchvision"),),  # torchvision's CIFAR100(root=<dataset_root>)
)
