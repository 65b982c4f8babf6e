"""A finished job's network, rebuilt once for every reader (`load_job`, `export`, `evaluate`, ensembles): the model
of its `hparams.json` (a branch's is its trunk's), final weights and mask read verified, pruned weights exact zeros."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import torch

from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.models import registry
from sparselab.models.hparams import ModelHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.reparam_load import is_wrapped, plain_weights
from sparselab.store.job import FinishedJob
from sparselab.train.provenance import PROVENANCE_KEY, data_spec, dataset_section


@dataclass
class FinishedModel:
    model: torch.nn.Module  # eval mode, final weights loaded
    mask: Mask | None  # the mask the job ended with; None for a dense network
    hparams: dict[str, Any]  # the job's hparams.json
    data: dict[str, Any]  # input_shape, num_classes (and normalization when known)


def section(hparams: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """The bundle `name` of a job record: the job's own or, for a branch, its trunk's."""
    for candidate in (hparams, hparams.get("trunk")):
        if isinstance(candidate, Mapping) and isinstance(candidate.get(name), Mapping):
            return candidate[name]
    return None


def data_of(hparams: Mapping[str, Any], directory: Path) -> dict[str, Any]:
    """Input shape, classes and normalisation: recorded in `provenance`, else from the dataset registry."""
    recorded = hparams.get(PROVENANCE_KEY) or {}
    if "input_shape" in recorded and "num_classes" in recorded:
        return {k: recorded[k] for k in ("input_shape", "num_classes", "normalization") if k in recorded}
    dataset = dataset_section(hparams)
    if dataset is None:
        raise UsageError(f"{directory / layout.HPARAMS} does not describe a dataset: not a training job")
    return data_spec(dataset)


def regained(hparams: Mapping[str, Any]) -> bool:
    """Whether the job's own training regained its pruned weights (the retrain branch's re-dense)."""
    def search(value: Any) -> bool:
        if isinstance(value, Mapping):
            return any((k == "regain_pruned_weights_steps" and v is not None) or search(v)
                       for k, v in value.items() if k != "trunk")
        return False
    return search(hparams)


def network_mask(job: FinishedJob) -> Mask | None:
    """The final network's mask: `mask_final.pt`, else `mask.pt` unless the job regained its pruned
    weights (then it ends dense); None: dense."""
    if regained(job.hparams) and not job.has(layout.FINAL_MASK):
        return None
    return job.final_mask()


def _state_and_mask(job: FinishedJob) -> tuple[dict[str, torch.Tensor], Mask | None]:
    """The final weights and mask; a supermask / str job's wrapped weights as the plain model's."""
    if not job.has(layout.WEIGHTS_FINAL):
        raise UsageError(f"{job.directory} has no {layout.WEIGHTS_FINAL}: not a training job")
    state, mask = job.tensors(layout.WEIGHTS_FINAL), network_mask(job)
    if is_wrapped(state):
        if mask is None:
            raise UsageError(f"{job.directory} holds wrapped weights but no {layout.MASK}")
        selection = Mask(job.tensors(layout.SUPERMASK)) if job.has(layout.SUPERMASK) else None
        state, mask = plain_weights(state, mask, selection)
    return state, mask


def load_network(directory: Path | str, data: Mapping[str, Any] | None = None) -> FinishedModel:
    """The network of the finished job in `directory`; `data` (input_shape, num_classes) overrides the
    recorded shapes (a caller that prepared the data). Every failure is a UsageError naming the file."""
    directory = Path(directory)
    job = FinishedJob(directory, missing=f"{directory} is not a finished training job (no {layout.DONE}); "
                                         "rerun its command to finish it")
    hparams = job.hparams
    model_section = section(hparams, "model")
    if model_section is None:
        raise UsageError(f"{directory / layout.HPARAMS} does not describe a model: not a training job")
    data = dict(data) if data is not None else data_of(hparams, directory)
    h = ModelHparams.from_dict(dict(model_section))
    model = registry.build(h.model_name, tuple(data["input_shape"]), int(data["num_classes"]),
                           model_init=h.model_init, batchnorm_init=h.batchnorm_init, seed=0,
                           bias_init=h.bias_init)
    state, mask = _state_and_mask(job)
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise UsageError(f"{job.path(layout.WEIGHTS_FINAL)} does not fit {h.model_name}: "
                         f"{str(e).splitlines()[0]}") from None
    if mask is not None:
        for name, p in mask.check_model(model).items():
            if torch.count_nonzero(p.detach()[~mask[name]]):
                raise UsageError(f"{job.path(layout.WEIGHTS_FINAL)}: {name} has weights where the mask prunes them")
        mask.apply_(model)  # turns any -0.0 into +0.0: exact zeros
    return FinishedModel(model.eval(), mask, hparams, data)
