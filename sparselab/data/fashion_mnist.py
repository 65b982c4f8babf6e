"""Fashion-MNIST: the four idx files (gzipped or raw) in `<dataset_root>/fashion_mnist/`."""
from __future__ import annotations

from sparselab.data.idx import idx_source

_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}

_CLASSES = ("t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")

SOURCE = idx_source("fashion_mnist", _MIRRORS, _MD5, mean=0.2860, std=0.3530, class_names=_CLASSES,
                    torchvision="FashionMNIST")
