"""Registry: names, errors, the per-process cache, and downloading (from file:// URLs, offline)."""
from __future__ import annotations

import gzip
import hashlib
import io
import tarfile

import pytest

import datasets_fakes as fakes
from sparselab.data import registry
from sparselab.data.base import RemoteFile
from sparselab.data.download import download_all
from sparselab.core.errors import UsageError


@pytest.fixture(autouse=True)
def _fresh_cache():
    registry.clear_cache()
    yield
    registry.clear_cache()


def test_names_and_sources():
    assert {"digits", "mnist", "fashion_mnist", "cifar10", "cifar100"} <= set(registry.names())
    for name in registry.names():
        source = registry.get_source(name)
        assert source.name == name
        assert len(source.mean) == len(source.std) == source.image_shape[0]
    assert registry.get_source("cifar10").augmentation == "crop_flip"
    assert registry.get_source("mnist").mean == (0.1307,)
    assert registry.get_source("fashion_mnist").std == (0.3530,)


def test_unknown_name_lists_known():
    with pytest.raises(UsageError, match="unknown dataset 'cifar11'.*cifar10, cifar100"):
        registry.get_source("cifar11")


def test_missing_dataset_message(tmp_path):
    with pytest.raises(UsageError) as e:
        registry.load("mnist", tmp_path)
    message = str(e.value)
    assert "train-images-idx3-ubyte[.gz]" in message and str(tmp_path / "mnist") in message
    assert "--download" in message and "\n" not in message


def test_digits_never_missing_and_cached(tmp_path):
    first = registry.load("digits", tmp_path)
    again = registry.load("digits", str(tmp_path / "." ))
    assert first is again  # same (name, resolved root) -> cached object


def test_load_from_root(tmp_path):
    fakes.write_idx_dataset(tmp_path / "fashion_mnist", n_train=5, n_test=4, gz=False)
    train, test = registry.load("fashion_mnist", tmp_path)
    assert len(train) == 5 and len(test) == 4


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_download_plain_files(tmp_path):
    server = tmp_path / "server"
    fakes.write_idx_dataset(server, n_train=5, n_test=3, gz=True)
    remotes = tuple(
        RemoteFile(p.name, ("http://127.0.0.1:9/" + p.name, p.as_uri()), _md5(p.read_bytes()))
        for p in sorted(server.iterdir())
    )
    download_all(remotes, tmp_path / "root" / "mnist")  # first mirror refuses, second works
    for p in server.iterdir():
        assert (tmp_path / "root" / "mnist" / p.name).read_bytes() == p.read_bytes()


def test_download_through_registry_and_extract(tmp_path, monkeypatch):
    staging = tmp_path / "staging"
    fakes.write_cifar10(staging, per_batch=2)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as t:
        t.add(staging / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(buffer.getvalue())
    source = registry.get_source("cifar10")
    fake = type(source)(**{**source.__dict__, "downloads": (
        RemoteFile(archive.name, (archive.as_uri(),), _md5(archive.read_bytes()), extract=True),)})
    monkeypatch.setitem(registry.REGISTRY, "cifar10", fake)
    root = tmp_path / "root"
    with pytest.raises(UsageError, match="--download"):
        registry.load("cifar10", root)
    train, test = registry.load("cifar10", root, download=True)
    assert len(train) == 10 and len(test) == 2
    assert (root / "cifar10" / "cifar-10-batches-py" / "test_batch").exists()
    assert not [p for p in (root / "cifar10").iterdir() if p.name.startswith(".extract")]


def test_download_md5_mismatch_leaves_nothing(tmp_path):
    src = tmp_path / "file.gz"
    src.write_bytes(gzip.compress(b"abc"))
    remote = RemoteFile("file.gz", (src.as_uri(),), "0" * 32)
    with pytest.raises(UsageError, match="MD5"):
        download_all((remote,), tmp_path / "out")
    assert not (tmp_path / "out" / "file.gz").exists()
    assert [p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".download")] == []


def test_offline_is_one_line(tmp_path):
    remote = RemoteFile("x.gz", ("http://127.0.0.1:9/x.gz",), "0" * 32)
    with pytest.raises(UsageError) as e:
        download_all((remote,), tmp_path)
    assert "offline" in str(e.value) and "\n" not in str(e.value)
