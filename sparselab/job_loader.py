"""`sparselab.load_job(path)`: a finished job as a plain torch model, its mask, hyperparameters and metrics,
every file read verified through `sparselab/store/`; torch is imported when a job is loaded, not before."""
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


def load_job(path: str | Path | Any, level: int | None = None) -> Job:
    """Load a finished job: a job directory, or a trunk experiment/replicate folder (its last finished
    level, or `level`), or a `sparselab.run` result. Damaged files raise UsageError naming them."""
    from sparselab.analysis.reports.openlth import is_openlth_job
    from sparselab.store.job import FinishedJob
    from sparselab.store.network import load_network
    from sparselab.store.tree import job_directory
    from sparselab.train.job import is_done

    path = job_directory(Path(getattr(path, "path", path)), level, lambda d: is_done(d) or is_openlth_job(d))
    if is_openlth_job(path):
        return _load_openlth(path)
    job = FinishedJob(path, check_files=True)
    if "members" in job.result:
        raise UsageError(f"{path} is an ensemble; load one of its members: {', '.join(job.result['members'])}")
    loaded = load_network(path)
    return Job(path=path, hparams=loaded.hparams, result=job.result, model=loaded.model, mask=loaded.mask,
               metrics=job.metrics(), data=loaded.data)


def _load_openlth(path: Path) -> Job:
    """A job OpenLTH wrote: the model its hparams.log names, its last model_ep<E>_it<I>.pth and mask.pth (no
    checksums exist to verify); every failure a UsageError naming the file."""
    from sparselab.analysis.reports import openlth
    from sparselab.core import io as fio
    from sparselab.models import registry
    from sparselab.sparsity.mask import Mask
    from sparselab.train.provenance import data_spec

    record = openlth.job_hparams(path)
    model_name = (record.get("model") or {}).get("model_name")
    dataset_name = (record.get("dataset") or {}).get("dataset_name")
    if not model_name or not dataset_name:
        raise UsageError(f"{path}: no {openlth.HPARAMS_LOG} naming the model and the dataset "
                         "(looked in the job and in its replicate's level_0/main)")
    data = data_spec({"dataset_name": dataset_name})
    model = registry.build(str(model_name), tuple(data["input_shape"]), int(data["num_classes"]), seed=0)
    weights = openlth.final_model(path)
    if weights is None:
        raise UsageError(f"{path} has no model_ep<E>_it<I>.pth: its weights were not kept")
    try:
        model.load_state_dict(fio.load_torch(weights))
    except RuntimeError as e:
        raise UsageError(f"{weights} does not fit {model_name}: {str(e).splitlines()[0]}") from None
    mask = None
    if (path / openlth.MASK).exists():
        mask = Mask({name: t.bool() for name, t in fio.load_torch(path / openlth.MASK).items()})
        mask.check_model(model)
        mask.apply_(model)  # OpenLTH saves the unmasked structure; pruned entries are zero (or made so)
    return Job(path=path, hparams={"source": openlth.SOURCE, **record}, result=openlth.read_job(path).values,
               model=model.eval(), mask=mask, metrics=openlth.metric_rows(openlth.read_logger(path / openlth.LOGGER)),
               data=data)
