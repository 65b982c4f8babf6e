"""Writers of small fake datasets in the real on-disk formats."""
from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_dataset(folder: Path, n_train: int = 30, n_test: int = 10, gz: bool = True, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": (rng.integers(0, 256, (n_train, 28, 28)), 0x803),
        "train-labels-idx1-ubyte": (rng.integers(0, 10, n_train), 0x801),
        "t10k-images-idx3-ubyte": (rng.integers(0, 256, (n_test, 28, 28)), 0x803),
        "t10k-labels-idx1-ubyte": (rng.integers(0, 10, n_test), 0x801),
    }
    for name, (array, magic) in arrays.items():
        data = idx_bytes(array, magic)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return {name: array for name, (array, _) in arrays.items()}


def write_pickle(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def write_cifar10(folder: Path, per_batch: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Returns (train images [N,3,32,32], train labels, test images, test labels) as written."""
    rng = np.random.default_rng(seed)
    base = folder / "cifar-10-batches-py"
    train_x, train_y = [], []
    for i in range(1, 6):
        x = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        y = rng.integers(0, 10, per_batch).tolist()
        write_pickle(base / f"data_batch_{i}", {b"batch_label": b"x", b"labels": y, b"data": x})
        train_x.append(x)
        train_y += y
    tx = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
    ty = rng.integers(0, 10, per_batch).tolist()
    write_pickle(base / "test_batch", {b"labels": ty, b"data": tx})
    return (np.concatenate(train_x).reshape(-1, 3, 32, 32), np.array(train_y),
            tx.reshape(-1, 3, 32, 32), np.array(ty))


def write_cifar100(folder: Path, n: int = 12, seed: int = 0) -> dict:
    from sparselab.data.cifar import FINE_TO_COARSE

    rng = np.random.default_rng(seed)
    out = {}
    for split in ("train", "test"):
        x = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        fine = rng.integers(0, 100, n).tolist()
        coarse = [FINE_TO_COARSE[f] for f in fine]
        write_pickle(folder / "cifar-100-python" / split,
                     {b"data": x, b"fine_labels": fine, b"coarse_labels": coarse, b"filenames": [b"a"] * n})
        out[split] = (x.reshape(-1, 3, 32, 32), np.array(fine), np.array(coarse))
    return out


def write_jpeg(path: Path, array: np.ndarray) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, quality=95)


def write_tiny_imagenet(folder: Path, wnids=("n02", "n01", "n03"), per_class: int = 2, n_val: int = 4) -> dict:
    """Class c's images are a flat colour 40*c+20 (survives JPEG), so labels can be checked from pixels."""
    base = folder / "tiny-imagenet-200"
    base.mkdir(parents=True, exist_ok=True)
    (base / "wnids.txt").write_text("\n".join(wnids) + "\n")
    order = sorted(wnids)
    for wnid in wnids:
        value = 40 * order.index(wnid) + 20
        for i in range(per_class):
            write_jpeg(base / "train" / wnid / "images" / f"{wnid}_{i}.JPEG", np.full((64, 64, 3), value, np.uint8))
    lines = []
    for i in range(n_val):
        wnid = wnids[i % len(wnids)]
        value = 40 * order.index(wnid) + 20
        write_jpeg(base / "val" / "images" / f"val_{i}.JPEG", np.full((64, 64, 3), value, np.uint8))
        lines.append(f"val_{i}.JPEG\t{wnid}\t0\t0\t63\t63")
    (base / "val" / "val_annotations.txt").write_text("\n".join(lines) + "\n")
    return {"order": order}


def write_image_folder(folder: Path, classes=("b_cls", "a_cls"), per_class: int = 3, size=(40, 30)) -> None:
    """ImageFolder tree with flat-colour images of size (width, height); class c colour 60*c+30."""
    order = sorted(classes)
    for split in ("train", "val"):
        for wnid in classes:
            value = 60 * order.index(wnid) + 30
            for i in range(per_class):
                write_jpeg(folder / split / wnid / f"img_{i}.JPEG", np.full((size[1], size[0], 3), value, np.uint8))
