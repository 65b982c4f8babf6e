"""Per-layer densities (`report --layers`, from sparsity_report.json) and multiply-adds of the masked network
(its `mask.pt` on the model built on the meta device: shapes only); a job without a mask counts as dense."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.models.flops import MultiplyAdds, multiply_adds
from sparselab.analysis.reports.hparams_diff import flat_fields
from sparselab.analysis.reports.records import DONE, ExperimentResult, JobResult
from sparselab.analysis.reports.table import dens
from sparselab.core.table import Group, render
from sparselab.store.job import FinishedJob


def input_shape(record: Mapping[str, Any]) -> tuple[tuple[int, int, int], int] | None:
    """(input shape, classes) of a recorded run: as recorded, else from its dataset (and image_size)."""
    fields = flat_fields(record)
    shape, classes = record.get("input_shape") or fields.get("input_shape"), fields.get("num_classes")
    if shape and classes:
        return tuple(int(x) for x in shape), int(classes)  # type: ignore[return-value]
    try:
        from sparselab.data.registry import get_source

        source = get_source(str(fields.get("dataset_name")))
    except UsageError:
        return None
    c, h, w = source.image_shape
    size = fields.get("image_size")
    return ((c, int(size), int(size)) if size else (c, h, w)), source.num_classes


@lru_cache(maxsize=16)
def _meta_model(name: str, shape: tuple[int, int, int], classes: int) -> Any:
    import torch

    from sparselab.models import registry

    with torch.device("meta"):
        return registry.family_of(name).build(name, shape, classes)


def job_multiply_adds(job: JobResult, record: Mapping[str, Any]) -> MultiplyAdds | None:
    """Dense and sparse multiply-adds of one finished job's network, or None when it cannot be told."""
    if job.status != DONE:
        return None
    spec = input_shape(record)
    name = flat_fields(record).get("model_name")
    if spec is None or not isinstance(name, str):
        return None
    try:
        model = _meta_model(name, *spec)
        stored = FinishedJob(job.directory)
        mask = stored.tensors(layout.MASK) if stored.has(layout.MASK) else {}
        return multiply_adds(model, spec[0], mask if isinstance(mask, dict) else {})
    except Exception:  # an unknown model name, a foreign mask: leave the columns empty
        return None


def add_multiply_adds(experiments: list[ExperimentResult], rows: list[dict[str, Any]]) -> None:
    """Fill the multiply_adds_* columns of the tidy rows (reports.rows) in place."""
    by_directory = {str(job.directory): (job, e.hparams) for e in experiments for job in e.all_jobs()}
    for row in rows:
        found = by_directory.get(row.get("directory"))
        counts = job_multiply_adds(*found) if found else None
        if counts is not None:
            row["multiply_adds_dense"], row["multiply_adds_sparse"] = counts.dense, counts.sparse


def layer_densities(job: JobResult) -> dict[str, float] | None:
    if job.status != DONE:
        return None
    try:
        report = FinishedJob(job.directory).sparsity_report()
        if report is None:
            return None
        tensors = report.get("tensors", {})
        return {name: float(t["density"]) for name, t in tensors.items()}
    except (UsageError, AttributeError, KeyError, TypeError, ValueError):
        return None


def layers_text(experiment: ExperimentResult) -> str:
    """A table per replicate: one row per prunable tensor, one column per level (density of the tensor's
    weights kept), then the multiply-adds of the whole network."""
    blocks = []
    for rep in experiment.replicates:
        levels = sorted(rep.levels)
        per_level = {lv: layer_densities(rep.levels[lv].main) for lv in levels}
        shown = [lv for lv in levels if per_level[lv]]
        if not shown:
            continue
        names: list[str] = []
        for lv in shown:
            names += [n for n in per_level[lv] if n not in names]  # type: ignore[union-attr]
        rows = [[name, *(dens(per_level[lv].get(name)) for lv in shown)] for name in names]  # type: ignore[union-attr]
        counts = [job_multiply_adds(rep.levels[lv].main, experiment.hparams) for lv in shown]
        if any(counts):
            rows.append(["multiply-adds (sparse)", *(_count(c.sparse if c else None) for c in counts)])
            rows.append(["multiply-adds (dense)", *(_count(c.dense if c else None) for c in counts)])
        header = ["tensor", *(f"level {lv}" for lv in shown)]
        blocks.append(f"replicate {rep.replicate}: density of each prunable tensor\n"
                      + render([Group("", header, left={0})], rows))
    if not blocks:
        return f"{experiment.name}: no level has a sparsity_report.json (dense training has no per-layer mask)"
    return "\n\n".join(blocks)


def _count(value: int | None) -> str:
    if value is None:
        return "-"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return str(value)
