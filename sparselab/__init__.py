"""sparselab: an OpenLTH-style job-hierarchy framework for neural-network pruning research.
Python API (`sparselab.api`): `run`, `load_job`, `report`, `register_*`; importing it imports no torch."""
from sparselab.api import Job, Result, UsageError, load_job, report, run
from sparselab.extend import register_dataset, register_model, register_score
from sparselab.core.version import __version__

__all__ = ["Job", "Result", "UsageError", "__version__", "load_job", "register_dataset", "register_model",
           "register_score", "report", "run"]
