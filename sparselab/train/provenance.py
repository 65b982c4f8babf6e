"""The `provenance` section of `hparams.json`: the dataset's shape, classes and normalisation (a model is rebuilt
without reading the data) and the code versions. Written once; no reader takes it for hyperparameters."""
from __future__ import annotations

import functools
import platform
import subprocess
from pathlib import Path
from typing import Any, Mapping

from sparselab.core import integrity

PROVENANCE_KEY = integrity.PROVENANCE_KEY  # the key integrity.predates_checksums looks for
STREAMING_IMAGE_SIZE = 224  # = training.data.STREAMING_IMAGE_SIZE (checked by tests/api/test_provenance.py)
PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def dataset_section(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for candidate in (record, record.get("trunk")):
        if isinstance(candidate, Mapping) and isinstance(candidate.get("dataset"), Mapping):
            return candidate["dataset"]
    return None


def data_spec(dataset: Mapping[str, Any]) -> dict[str, Any]:
    from sparselab.data import registry

    source = registry.get_source(dataset["dataset_name"])
    channels, height, width = source.image_shape
    size = dataset.get("image_size")
    if source.streaming:
        height = width = size or STREAMING_IMAGE_SIZE
    elif size is not None:
        height = width = size
    return {"input_shape": [channels, height, width], "num_classes": source.num_classes,
            "normalization": {"mean": list(source.mean), "std": list(source.std)}}


@functools.lru_cache(maxsize=1)
def git_commit() -> dict[str, Any] | None:
    if not (PACKAGE_PARENT / ".git").exists():
        return None
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PACKAGE_PARENT, capture_output=True, text=True,
                             timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PACKAGE_PARENT,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if sha.returncode != 0:
        return None
    return {"commit": sha.stdout.strip(), "dirty": bool(dirty.stdout.strip()) if dirty.returncode == 0 else None}


def provenance(record: Mapping[str, Any]) -> dict[str, Any]:
    import torch

    from sparselab.core.version import __version__

    git = git_commit()
    out: dict[str, Any] = {"sparselab_version": __version__, "torch_version": torch.__version__,
                           "python_version": platform.python_version(),
                           "git_commit": git["commit"] if git else None,
                           "git_dirty": git["dirty"] if git else None}
    dataset = dataset_section(record)
    if dataset is not None:
        out.update(data_spec(dataset))
    return out


def with_provenance(record: Mapping[str, Any]) -> dict[str, Any]:
    return {**record, PROVENANCE_KEY: provenance(record)}
