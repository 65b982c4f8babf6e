"""Fashion-MNIST: the four idx files (gzipped or raw) in `<dataset_root>/fashion_mnist/`."""
from __future__ import annotations

from datasets.base import DatasetSource, RemoteFile
from datasets.idx import load_idx_dataset

_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}

SOURCE = DatasetSource(
    name="fashion_mnist",
    num_classes=10,
    image_shape=(1, 28, 28),
    mean=(0.2860,),
    std=(0.3530,),
    augmentation="none",
    folder="fashion_mnist",
    load=load_idx_dataset,
    expected_files=tuple(name.replace(".gz", "[.gz]") for name in _MD5),
    downloads=tuple(RemoteFile(name, tuple(m + name for m in _MIRRORS), md5) for name, md5 in _MD5.items()),
    class_names=(
        "t-shirt/top", "trouser", "pullover", "dress", "coat",
        "sandal", "shirt", "sneaker", "bag", "ankle boot",
    ),
)
