"""What `hparams.json` records besides the hyperparameters: the data a model needs and the code versions.

The `provenance` section holds the input shape, number of classes and normalisation of the job's
dataset (so a model can be rebuilt and fed without reading the dataset), and the sparselab, torch and
Python versions and the git commit of the code that wrote the job. It is written once, when the job
starts (`training.job`), and never rewritten: `hparams.json` is among the inputs whose sha256 a
checkpoint and `done.json` record, and a job written by an older version (no `provenance`) resumes
and is reused unchanged. No reader treats the section as hyperparameters (`reports.jobs.read_hparams`
drops it); `data_spec` computes the same data fields for old jobs.
"""
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
    """The `dataset` bundle of a job record: a trunk's or train job's own, or a branch's trunk's."""
    for candidate in (record, record.get("trunk")):
        if isinstance(candidate, Mapping) and isinstance(candidate.get("dataset"), Mapping):
            return candidate["dataset"]
    return None


def data_spec(dataset: Mapping[str, Any]) -> dict[str, Any]:
    """input_shape [C, H, W], num_classes and per-channel mean/std of a recorded dataset bundle."""
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
    """{'commit': sha, 'dirty': bool} of the checkout the package runs from, None when installed."""
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
    """The record to write as a new job's hparams.json."""
    return {**record, PROVENANCE_KEY: provenance(record)}
