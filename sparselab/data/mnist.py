"""MNIST: the four idx files (gzipped or raw) in `<dataset_root>/mnist/`."""
from __future__ import annotations

from sparselab.data.idx import idx_source

_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

SOURCE = idx_source("mnist", _MIRRORS, _MD5, mean=0.1307, std=0.3081, class_names=tuple(str(d) for d in range(10)),
                    torchvision="MNIST")
