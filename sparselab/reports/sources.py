"""Which reader an experiment folder needs: sparselab's (reports.collect) or OpenLTH's (reports.openlth)."""
from __future__ import annotations

from pathlib import Path

from sparselab.reports import openlth
from sparselab.reports.collect import collect
from sparselab.reports.records import ExperimentResult


def collect_any(path: Path | str) -> ExperimentResult:
    """Read an experiment folder written by sparselab, or by OpenLTH / Sparse Double Descent."""
    if openlth.is_openlth(path):
        return openlth.collect(path)
    return collect(path)
