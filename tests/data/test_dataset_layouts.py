"""`--dataset_root` also finds datasets where OpenLTH and torchvision put them, and the missing-dataset
error names every folder it looked in."""
from __future__ import annotations

import numpy as np
import pytest

import datasets_fakes as fakes
from sparselab.data import registry
from sparselab.core.errors import UsageError
from tests.helpers import call_main


@pytest.fixture(autouse=True)
def _fresh_cache():
    registry.clear_cache()
    yield
    registry.clear_cache()


@pytest.mark.parametrize("name, layout", [
    ("mnist", "mnist/MNIST/raw"),  # OpenLTH: torchvision.datasets.MNIST(root=<dataset_root>/mnist)
    ("mnist", "MNIST/raw"),  # torchvision.datasets.MNIST(root=<dataset_root>)
    ("fashion_mnist", "fashion_mnist/FashionMNIST/raw"),
    ("fashion_mnist", "FashionMNIST/raw"),
])
def test_idx_datasets_in_openlth_and_torchvision_layouts(tmp_path, name, layout):
    written = fakes.write_idx_dataset(tmp_path / layout, gz=False)  # torchvision keeps the unpacked files
    train, test = registry.load(name, tmp_path)
    assert np.array_equal(train.labels.numpy(), written["train-labels-idx1-ubyte"])
    assert np.array_equal(test.images[:, 0].numpy(), written["t10k-images-idx3-ubyte"])


def test_cifar10_in_torchvisions_layout(tmp_path):
    train_x, train_y, _, _ = fakes.write_cifar10(tmp_path)  # <dataset_root>/cifar-10-batches-py/
    train, _ = registry.load("cifar10", tmp_path)
    assert np.array_equal(train.labels.numpy(), train_y) and np.array_equal(train.images.numpy(), train_x)


def test_sparselabs_own_folder_comes_first(tmp_path):
    own = fakes.write_idx_dataset(tmp_path / "mnist", seed=1)
    fakes.write_idx_dataset(tmp_path / "mnist" / "MNIST" / "raw", seed=2)
    train, _ = registry.load("mnist", tmp_path)
    assert np.array_equal(train.labels.numpy(), own["train-labels-idx1-ubyte"])


def test_missing_dataset_names_every_folder_looked_in(tmp_path):
    with pytest.raises(UsageError) as caught:
        registry.load("mnist", tmp_path)
    message = str(caught.value)
    for folder, who in ((tmp_path / "mnist", "sparselab"), (tmp_path / "mnist" / "MNIST" / "raw", "OpenLTH"),
                        (tmp_path / "MNIST" / "raw", "torchvision")):
        assert f"{folder.resolve()} ({who})" in message
    assert "--dataset_root" in message and "--download" in message


def test_train_reads_mnist_from_an_openlth_datasets_folder(tmp_path):
    fakes.write_idx_dataset(tmp_path / "data" / "mnist" / "MNIST" / "raw", n_train=64, n_test=16)
    status, out, err = call_main(["train", "--dataset_name=mnist", "--model_name=mnist_lenet_10",
                                  "--training_steps=1it", "--batch_size=16", "--quiet", "--threads=1",
                                  "--dataset_root", str(tmp_path / "data"), "--root", str(tmp_path / "runs")])
    assert status == 0, err
    assert list((tmp_path / "runs").glob("train_*/replicate_1/main/done.json"))
