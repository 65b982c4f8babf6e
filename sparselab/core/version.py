"""The version of sparselab (read by pyproject.toml and recorded in every job's hparams.json)."""
__version__ = "0.1.0"
