"""`sparselab.load_job(path)`: a finished job as a plain torch model, its mask, hyperparameters and metrics.

Every file is verified against the job's `done.json` before it is used (the store: `sparselab/store/`), the
model is rebuilt from the job's own `hparams.json` (input shape, classes and normalisation from its
`provenance` section, or from the dataset registry for a job written before it existed), and pruned
weights are checked to be exact zeros. torch is imported when a job is loaded, not before.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from sparselab.core.errors import UsageError


@dataclass
class Job:
    """A finished training job (a `train` run, one level of a trunk, one branch level)."""

    path: Path
    hparams: dict[str, Any]  # hparams.json, `provenance` included when the job recorded it
    result: dict[str, Any]  # done.json without its integrity record
    model: Any  # torch.nn.Module in eval mode, final weights loaded
    mask: Any  # pruning.mask.Mask of the final network, None for a dense one
    metrics: list[dict[str, Any]]  # the rows of metrics.csv
    data: dict[str, Any] = field(default_factory=dict)  # input_shape, num_classes, normalization

    def test_loader(self, dataset_root: str | Path | None = None, batch_size: int | None = None,
                    device: str = "cpu") -> "Batches":
        """The job's test set as normalised (images, labels) batches on `device` (re-iterable)."""
        from sparselab.data.hparams import DatasetHparams
        from sparselab.platforms.base import PlatformHparams, data_root
        from sparselab.store.tree import replicate_of
        from sparselab.train.data import prepare_data
        from sparselab.train.provenance import dataset_section

        import torch

        section = dataset_section(self.hparams)
        assert section is not None  # load_job refuses jobs without one
        dataset = DatasetHparams.from_dict(dict(section))
        root = Path(dataset_root) if dataset_root is not None else data_root(PlatformHparams())
        prepared = prepare_data(dataset, root, replicate_of(self.path))
        return Batches(prepared.eval_batches("test", torch.device(device), batch_size=batch_size))

    def __repr__(self) -> str:
        density = f"density {self.mask.density:.4f}" if self.mask is not None else "dense"
        accuracy = self.result.get("final_test_accuracy")
        shown = f", final test accuracy {accuracy:.4f}" if isinstance(accuracy, float) else ""
        return f"Job({self.path}, {type(self.model).__name__}, {density}{shown})"


class Batches:
    """Iterating gives a fresh pass over the batches."""

    def __init__(self, make: Callable[[], Iterator[Any]]) -> None:
        self._make = make

    def __iter__(self) -> Iterator[Any]:
        return iter(self._make())


def _finished(directory: Path) -> bool:
    """A job sparselab finished (done.json), or one OpenLTH finished (its logger)."""
    from sparselab.analysis.reports.openlth import is_openlth_job
    from sparselab.train.job import is_done

    return is_done(directory) or is_openlth_job(directory)


def load_job(path: str | Path | Any, level: int | None = None) -> Job:
    """Load a finished job: a job directory, or a trunk experiment/replicate folder (its last finished
    level, or `level`), or a `sparselab.run` result. Damaged files raise UsageError naming them."""
    from sparselab.store.job import FinishedJob
    from sparselab.store.network import load_network
    from sparselab.store.tree import job_directory

    path = job_directory(Path(getattr(path, "path", path)), level, _finished)
    if _is_openlth(path):
        return _load_openlth(path)
    job = FinishedJob(path, check_files=True)
    if "members" in job.result:
        raise UsageError(f"{path} is an ensemble; load one of its members: {', '.join(job.result['members'])}")
    loaded = load_network(path)
    return Job(path=path, hparams=loaded.hparams, result=job.result, model=loaded.model, mask=loaded.mask,
               metrics=job.metrics(), data=loaded.data)


def _is_openlth(path: Path) -> bool:
    from sparselab.analysis.reports.openlth import is_openlth_job

    return is_openlth_job(path)


def _load_openlth(path: Path) -> Job:
    """A job OpenLTH wrote: its network from hparams.log + model_ep<E>_it<I>.pth + mask.pth (no checksums)."""
    from sparselab.analysis.reports.openlth_job import load_openlth_job

    loaded = load_openlth_job(path)
    finished = loaded.finished
    return Job(path=path, hparams=finished.hparams, result=loaded.result, model=finished.model,
               mask=finished.mask, metrics=loaded.metrics, data=finished.data)

