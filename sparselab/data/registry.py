"""All datasets by name (add a new one's `SOURCE` to `_SOURCES`), loaded from `<dataset_root>/<folder>/` once per
process."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sparselab.data import cifar, csv_table, idx, streaming, svhn, tabular, tiny_imagenet
from sparselab.data.base import DatasetSource, MissingFile, Split
from sparselab.data.download import download_all
from sparselab.core.errors import UsageError

_SOURCES: tuple[DatasetSource, ...] = (tabular.DIGITS, idx.MNIST, idx.FASHION_MNIST, cifar.CIFAR10, cifar.CIFAR100,
                                       svhn.SOURCE, tiny_imagenet.SOURCE, streaming.IMAGENET, tabular.BREAST_CANCER,
                                       tabular.WINE, csv_table.SOURCE)
REGISTRY: dict[str, DatasetSource] = {source.name: source for source in _SOURCES}

_CACHE: dict[tuple[str, Path], tuple[Split, Split]] = {}


def names() -> list[str]:
    return sorted(REGISTRY)


def get_source(name: str) -> DatasetSource:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UsageError(f"unknown dataset {name!r}; known datasets: {', '.join(names())}") from None


def candidate_folders(source: DatasetSource, root: Path) -> list[tuple[Path, str]]:
    """(folder, whose layout) in the order looked at: sparselab's `<root>/<folder>/`, then the source's layouts."""
    found: list[tuple[Path, str]] = [(root / source.folder, "sparselab")]
    for relative, who in source.layouts:
        folder = root / relative if relative else root
        if all(folder != f for f, _ in found):
            found.append((folder, who))
    return found


def _missing_message(source: DatasetSource, looked: list[tuple[Path, str]], missing: str) -> str:
    expected = ", ".join(source.expected_files)
    fetch = "run with --download to fetch them" if source.downloads else "they cannot be downloaded automatically"
    where = "; ".join(f"{folder} ({who})" for folder, who in looked)
    return (f"dataset {source.name} not found: {missing} is missing; expected {expected} in one of: {where} "
            f"(point --dataset_root or $SPARSELAB_DATA at the folder that holds {source.folder}/, or {fetch})")


def _read(source: DatasetSource, root: Path) -> tuple[Split, Split]:
    """The splits from the first candidate folder that holds every file, else the first one's MissingFile."""
    first: MissingFile | None = None
    for folder, _ in candidate_folders(source, root):
        try:
            return source.load(folder)
        except MissingFile as e:
            first = first or e
    assert first is not None
    raise first


def load(name: str, dataset_root: Path | str, download: bool = False) -> tuple[Split, Split]:
    """(train, test) of dataset `name`, read once per process and root: do not modify it in place."""
    source = get_source(name)
    root = Path(dataset_root).expanduser().resolve()
    key = (name, root)
    if key not in _CACHE:
        looked = candidate_folders(source, root)
        try:
            _CACHE[key] = _read(source, root)
        except MissingFile as e:
            if not (download and source.downloads):
                raise UsageError(_missing_message(source, looked, str(e))) from None
            download_all(source.downloads, root / source.folder)
            try:
                _CACHE[key] = source.load(root / source.folder)
            except MissingFile as e2:
                raise UsageError(f"after downloading, {_missing_message(source, looked[:1], str(e2))}") from None
    return _CACHE[key]


def load_for(hparams: Any, dataset_root: Path | str, download: bool = False) -> tuple[DatasetSource, Split, Split]:
    """(source, train, test) of a dataset bundle: `load`, or for `csv` the file's own source (classes, shape)."""
    if hparams.dataset_name == csv_table.NAME:
        return csv_table.load_csv(hparams.csv_file, hparams.csv_label_column)
    return (get_source(hparams.dataset_name), *load(hparams.dataset_name, dataset_root, download=download))


def clear_cache() -> None:
    _CACHE.clear()
