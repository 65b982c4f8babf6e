"""MNIST: the four idx files (gzipped or raw) in `<dataset_root>/mnist/`."""
from __future__ import annotations

from datasets.base import DatasetSource, RemoteFile
from datasets.idx import load_idx_dataset

_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

SOURCE = DatasetSource(
    name="mnist",
    num_classes=10,
    image_shape=(1, 28, 28),
    mean=(0.1307,),
    std=(0.3081,),
    augmentation="none",
    folder="mnist",
    load=load_idx_dataset,
    expected_files=tuple(name.replace(".gz", "[.gz]") for name in _MD5),
    downloads=tuple(RemoteFile(name, tuple(m + name for m in _MIRRORS), md5) for name, md5 in _MD5.items()),
    class_names=tuple(str(d) for d in range(10)),
)
