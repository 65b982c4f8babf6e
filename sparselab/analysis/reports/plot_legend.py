"""Short legend names for the accuracy figure: a sweep's points named by the fields that differ.

A `--sweep lr=0.1,0.05 --sweep weight_decay=5e-4,1e-4` figure names each line `lr=0.1, wd=5e-4`:
only fields whose values differ between the drawn experiments, with the long field names of the
common hyperparameters shortened; `--compare` runs under their automatic labels likewise (labels
given with `--labels` are kept as typed). A branch that ends dense (re-dense `retrain`) is told apart from
the sparse series it is drawn among.
"""
from __future__ import annotations

from typing import Any

from sparselab.analysis.reports.records import MAIN, ExperimentResult

SHORT_NAMES: dict[str, str] = {
    "weight_decay": "wd",
    "momentum": "mom",
    "batch_size": "bs",
    "training_steps": "steps",
    "warmup_steps": "warmup",
    "rewinding_steps": "rewind",
    "label_smoothing": "ls",
    "pruning_strategy": "strategy",
    "pruning_fraction": "prune",
    "pruning_distribution": "distribution",
    "random_labels_fraction": "noise",
    "optimizer_name": "opt",
    "model_name": "model",
    "dataset_name": "data",
}
REDENSE_NOTE = "re-dense (trained dense, at its start level's density)"


def short_value(value: Any) -> str:
    """0.0005 -> 5e-4, 0.1 -> 0.1, strings as given."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if value != 0 and abs(value) < 1e-2:
        mantissa, exponent = f"{value:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:g}"


def short_fields(fields: dict[str, Any]) -> str:
    return ", ".join(f"{SHORT_NAMES.get(k, k)}={short_value(v)}" for k, v in fields.items())


def sweep_names(experiments: list[ExperimentResult]) -> list[str] | None:
    """One short name per experiment of a sweep (every experiment a grid point), or of experiments
    put side by side under their automatic labels (`--compare`); None otherwise (e.g. --labels)."""
    if len(experiments) < 2:
        return None
    if not all(e.swept for e in experiments):
        return _compare_names(experiments)
    fields = [k for k in experiments[0].swept
              if len({e.swept.get(k) for e in experiments}) > 1]
    fields = fields or list(experiments[0].swept)
    return [short_fields({k: _number(e.swept.get(k)) for k in fields}) for e in experiments]


def _compare_names(experiments: list[ExperimentResult]) -> list[str] | None:
    """The differing fields, short, of experiments whose labels are the automatic ones (reports.labels);
    None when a label was given (--labels) or the commands differ."""
    from sparselab.analysis.reports.hparams_diff import format_fields
    from sparselab.analysis.reports.relevant import differing_fields

    if len({e.command for e in experiments}) > 1:
        return None
    diffs = differing_fields([e.hparams for e in experiments])
    if any(e.label != f"{e.command} {format_fields(d)}".strip() for e, d in zip(experiments, diffs)):
        return None
    names = [short_fields(d) for d in diffs]
    return names if all(names) and len(set(names)) == len(names) else None


def _number(text: Any) -> Any:
    try:
        return float(text) if isinstance(text, str) and any(c in text for c in ".e") else int(text)
    except (TypeError, ValueError):
        return text


def trained_dense(experiment: ExperimentResult, key: str) -> bool:
    """Whether a branch's finished jobs all ended dense though their trunk level was sparse."""
    if key == MAIN:
        return False
    jobs = [job for level in experiment.level_numbers() for _, job in experiment.jobs(level, key)
            if job.get("density") is not None and job.get("trunk_density") is not None]
    return bool(jobs) and all(job.get("density") == 1.0 for job in jobs) and \
        any(job.get("trunk_density") < 1.0 for job in jobs)
