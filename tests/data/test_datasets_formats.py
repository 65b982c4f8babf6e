"""Readers of the standard on-disk formats, on small fake files written in those formats."""
from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from sparselab.data import cifar, streaming, svhn, tabular, tiny_imagenet
from sparselab.data.base import MissingFile
from sparselab.data.idx import load_idx_dataset
from sparselab.core.errors import UsageError
import datasets_fakes as fakes


@pytest.mark.parametrize("gz", [True, False])
def test_idx_gz_and_raw(tmp_path, gz):
    arrays = fakes.write_idx_dataset(tmp_path, n_train=30, n_test=10, gz=gz)
    train, test = load_idx_dataset(tmp_path)
    assert train.images.shape == (30, 1, 28, 28) and test.images.shape == (10, 1, 28, 28)
    assert train.images.dtype == torch.uint8 and train.labels.dtype == torch.int64
    assert np.array_equal(train.images[:, 0].numpy(), arrays["train-images-idx3-ubyte"])
    assert train.labels.tolist() == arrays["train-labels-idx1-ubyte"].tolist()
    assert test.labels.tolist() == arrays["t10k-labels-idx1-ubyte"].tolist()


def test_idx_bad_magic_names_file(tmp_path):
    fakes.write_idx_dataset(tmp_path)
    labels = np.zeros(30, np.uint8)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(fakes.idx_bytes(labels, 0x803)))
    with pytest.raises(UsageError, match="train-labels-idx1-ubyte.gz.*magic"):
        load_idx_dataset(tmp_path)


def test_idx_truncated_and_mismatched(tmp_path):
    fakes.write_idx_dataset(tmp_path, gz=False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(UsageError, match="t10k-images-idx3-ubyte"):
        load_idx_dataset(tmp_path)
    fakes.write_idx_dataset(tmp_path, gz=False)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(fakes.idx_bytes(np.zeros(9, np.uint8), 0x801))
    with pytest.raises(UsageError, match="9 labels for 10 images"):
        load_idx_dataset(tmp_path)


def test_idx_not_gzip(tmp_path):
    fakes.write_idx_dataset(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"garbage")
    with pytest.raises(UsageError, match="train-images-idx3-ubyte.gz.*gzip"):
        load_idx_dataset(tmp_path)


def test_idx_missing(tmp_path):
    with pytest.raises(MissingFile):
        load_idx_dataset(tmp_path)


def test_cifar10(tmp_path):
    tx, ty, sx, sy = fakes.write_cifar10(tmp_path, per_batch=6)
    train, test = cifar.load_cifar10(tmp_path)
    assert train.images.shape == (30, 3, 32, 32) and test.images.shape == (6, 3, 32, 32)
    assert train.images.dtype == torch.uint8 and train.labels.dtype == torch.int64
    assert np.array_equal(train.images.numpy(), tx) and train.labels.tolist() == ty.tolist()
    assert np.array_equal(test.images.numpy(), sx) and test.labels.tolist() == sy.tolist()
    # Row-major RGB planes: the first 1024 bytes are the red plane.
    raw = tx.reshape(30, 3072)
    assert np.array_equal(train.images[0, 0].numpy().reshape(-1), raw[0, :1024])


def test_cifar10_corrupt_pickle(tmp_path):
    fakes.write_cifar10(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").write_bytes(b"\x80\x04not a pickle")
    with pytest.raises(UsageError, match="data_batch_3"):
        cifar.load_cifar10(tmp_path)


def test_cifar_pickle_refuses_code(tmp_path):
    import os
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    fakes.write_cifar10(tmp_path)
    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "wb") as f:
        pickle.dump({b"data": Evil()}, f)
    with pytest.raises(UsageError, match="refusing"):
        cifar.load_cifar10(tmp_path)


def test_cifar100_fine_and_coarse(tmp_path):
    written = fakes.write_cifar100(tmp_path, n=12)
    train, test = cifar.load_cifar100(tmp_path)
    assert train.images.shape == (12, 3, 32, 32)
    assert train.labels.tolist() == written["train"][1].tolist()
    assert np.array_equal(test.images.numpy(), written["test"][0])
    coarse_train, coarse_test = cifar.load_coarse_labels(tmp_path)
    assert coarse_train.tolist() == written["train"][2].tolist()
    assert coarse_test.tolist() == written["test"][2].tolist()
    assert cifar.coarse_of(train.labels).tolist() == coarse_train.tolist()


def test_cifar100_superclass_table():
    table = cifar.FINE_TO_COARSE
    assert len(table) == 100 and sorted(set(table)) == list(range(20))
    assert all(table.count(c) == 5 for c in range(20))
    names = cifar.FINE_NAMES
    assert names == tuple(sorted(names)) and names[0] == "apple" and names[99] == "worm"
    # spot checks against the official table
    assert table[names.index("beaver")] == cifar.COARSE_NAMES.index("aquatic_mammals") == 0
    assert table[names.index("apple")] == 4 and table[names.index("worm")] == 13
    assert table[names.index("tractor")] == 19 and table[names.index("train")] == 18


def test_digits_fixed_stratified_split():
    train, test = tabular.load_digits(None)
    assert len(train) + len(test) == 1797
    assert train.images.shape[1:] == (1, 8, 8) and train.images.dtype == torch.uint8
    assert int(train.images.max()) == 255
    counts_train, counts_test = torch.bincount(train.labels), torch.bincount(test.labels)
    ratio = counts_test.float() / (counts_train + counts_test).float()
    assert torch.all((ratio - 0.2).abs() < 0.01)
    train2, test2 = tabular.load_digits(None)
    assert torch.equal(train.images, train2.images) and torch.equal(test.labels, test2.labels)
    # values are exactly round(v * 255 / 16)
    allowed = {round(v * 255 / 16) for v in range(17)}
    assert set(torch.unique(train.images).tolist()) <= allowed


def test_digits_read_without_scikit_learn_equal_load_digits(monkeypatch):
    """The bundled file read directly (no scikit-learn import) gives load_digits' arrays; so does the fallback."""
    import numpy as np
    from sklearn.datasets import load_digits

    reference = load_digits()
    assert tabular.bundled_file() is not None
    for direct in (True, False):
        if not direct:
            monkeypatch.setattr(tabular, "bundled_file", lambda: None)
        images, labels = tabular.pixels_and_labels()
        assert np.array_equal(images, reference.images) and np.array_equal(labels, reference.target)


def test_svhn_mat(tmp_path):
    from scipy.io import savemat

    rng = np.random.default_rng(0)
    written = {}
    for name, n in (("train_32x32.mat", 7), ("test_32x32.mat", 3)):
        x = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
        y = rng.integers(1, 11, (n, 1)).astype(np.uint8)
        y[0, 0] = 10
        savemat(tmp_path / name, {"X": x, "y": y})
        written[name] = (x, y)
    train, test = svhn.load(tmp_path)
    x, y = written["train_32x32.mat"]
    assert train.images.shape == (7, 3, 32, 32) and test.images.shape == (3, 3, 32, 32)
    assert train.labels[0] == 0 and train.labels.tolist() == [v % 10 for v in y[:, 0].tolist()]
    assert np.array_equal(train.images[2].numpy(), x[..., 2].transpose(2, 0, 1))


def test_tiny_imagenet_tree_and_cache(tmp_path):
    info = fakes.write_tiny_imagenet(tmp_path, wnids=("n02", "n01", "n03"), per_class=2, n_val=4)
    train, test = tiny_imagenet.load(tmp_path)
    assert train.images.shape == (6, 3, 64, 64) and test.images.shape == (4, 3, 64, 64)
    assert train.labels.tolist() == [0, 0, 1, 1, 2, 2]  # sorted wnid order: n01, n02, n03
    # val_i has wnid wnids[i % 3] = n02, n01, n03, n02 -> labels 1, 0, 2, 1
    assert test.labels.tolist() == [1, 0, 2, 1]
    colours = train.images.float().mean(dim=(1, 2, 3))
    assert torch.allclose(colours, (40 * train.labels + 20).float(), atol=3)
    cache = tmp_path / "tiny-imagenet-200.npz"
    assert cache.exists() and info["order"] == ["n01", "n02", "n03"]
    import shutil

    shutil.rmtree(tmp_path / "tiny-imagenet-200")  # the cache alone is enough now
    train2, test2 = tiny_imagenet.load(tmp_path)
    assert torch.equal(train2.images, train.images) and torch.equal(test2.labels, test.labels)
    cache.write_bytes(b"junk")
    with pytest.raises(UsageError, match="tiny-imagenet-200.npz"):
        tiny_imagenet.load(tmp_path)


def test_tiny_imagenet_missing(tmp_path):
    with pytest.raises(MissingFile):
        tiny_imagenet.load(tmp_path)


def test_resize_to():
    from sparselab.data.base import ImageSet

    images = torch.zeros(3, 3, 64, 64, dtype=torch.uint8)
    images[:, :, :, 32:] = 200
    small = tiny_imagenet.resize_to(ImageSet(images, torch.tensor([0, 1, 2])), 32)
    assert small.images.shape == (3, 3, 32, 32) and small.images.dtype == torch.uint8
    assert small.images[0, 0, 0, 0] == 0 and small.images[0, 0, 0, 31] == 200
    assert small.labels.tolist() == [0, 1, 2]


def test_imagenet_file_listing(tmp_path):
    fakes.write_image_folder(tmp_path, classes=("b_cls", "a_cls"), per_class=3)
    train, val = streaming.load_imagenet(tmp_path)
    assert len(train) == 6 and len(val) == 6
    assert train.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert [p.parent.name for p in train.paths[:3]] == ["a_cls"] * 3
    assert [p.name for p in train.paths[:3]] == ["img_0.JPEG", "img_1.JPEG", "img_2.JPEG"]
    assert streaming.IMAGENET.streaming


def test_imagenet_missing(tmp_path):
    with pytest.raises(MissingFile):
        streaming.load_imagenet(tmp_path)
