"""Which reader an experiment folder needs: sparselab's (reports.collect) or OpenLTH's (reports.openlth)."""
from __future__ import annotations

from pathlib import Path

from sparselab.core import layout
from sparselab.analysis.reports import openlth
from sparselab.analysis.reports.collect import collect
from sparselab.analysis.reports.records import ExperimentResult


def collect_any(path: Path | str) -> ExperimentResult:
    """Read an experiment folder written by sparselab, or by OpenLTH / Sparse Double Descent; as for
    sparselab's trees, a replicate folder (or a folder inside one) stands for that replicate only."""
    path = Path(path)
    if openlth.is_openlth(path):
        return openlth.collect(path)
    for candidate in (path, *list(path.parents)[:3]):
        if layout.REPLICATE_RE.match(candidate.name) and openlth.is_openlth(candidate.parent):
            experiment = openlth.collect(candidate.parent)
            experiment.replicates = [r for r in experiment.replicates if r.directory == candidate]
            return experiment
    return collect(path)
