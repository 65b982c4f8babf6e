"""A finished OpenLTH / SDD job as a network: the model its hparams.log names, its last `model_ep<E>_it<I>.pth`
and its `mask.pth`, for `load_job` on old runs (no checksums exist to verify: OpenLTH wrote none)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparselab.core import io as fio
from sparselab.core.errors import UsageError
from sparselab.models import registry
from sparselab.sparsity.mask import Mask
from sparselab.analysis.reports import openlth
from sparselab.store.network import FinishedModel
from sparselab.train.provenance import data_spec


@dataclass
class OpenLTHJob:
    finished: FinishedModel
    result: dict[str, Any]  # the values `report` reads from the logger (final/best accuracy, density, ...)
    metrics: list[dict[str, Any]]  # the logger as one row per iteration


def load_openlth_job(directory: Path) -> OpenLTHJob:
    """The network of a finished OpenLTH job; every failure a UsageError naming the file."""
    if not openlth.is_openlth_job(directory):
        raise UsageError(f"{directory} is not a finished OpenLTH job (no {openlth.LOGGER})")
    record = openlth.job_hparams(directory)
    model_name = (record.get("model") or {}).get("model_name")
    dataset_name = (record.get("dataset") or {}).get("dataset_name")
    if not model_name or not dataset_name:
        raise UsageError(f"{directory}: no {openlth.HPARAMS_LOG} naming the model and the dataset "
                         "(looked in the job and in its replicate's level_0/main)")
    data = data_spec({"dataset_name": dataset_name})
    model = registry.build(str(model_name), tuple(data["input_shape"]), int(data["num_classes"]), seed=0)
    weights = openlth.final_model(directory)
    if weights is None:
        raise UsageError(f"{directory} has no model_ep<E>_it<I>.pth: its weights were not kept")
    try:
        model.load_state_dict(fio.load_torch(weights))
    except RuntimeError as e:
        raise UsageError(f"{weights} does not fit {model_name}: {str(e).splitlines()[0]}") from None
    mask = None
    if (directory / openlth.MASK).exists():
        mask = Mask({name: t.bool() for name, t in fio.load_torch(directory / openlth.MASK).items()})
        mask.check_model(model)
        mask.apply_(model)  # OpenLTH saves the unmasked structure; pruned entries are zero (or made so)
    hparams = {"source": openlth.SOURCE, **record}
    values = openlth.read_job(directory).values
    log = openlth.read_logger(directory / openlth.LOGGER)
    return OpenLTHJob(FinishedModel(model.eval(), mask, hparams, data), values, openlth.metric_rows(log))
