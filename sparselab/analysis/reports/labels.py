"""Names of experiments in tables and legends: given by --labels, else built from what differs."""
from __future__ import annotations

from sparselab.core.errors import UsageError
from sparselab.analysis.reports.hparams_diff import format_fields
from sparselab.analysis.reports.records import MAIN, ExperimentResult
from sparselab.analysis.reports.relevant import differing_fields


def parse_labels(text: str | None, count: int) -> list[str] | None:
    if text is None:
        return None
    labels = [part.strip() for part in text.split(",")]
    if len(labels) != count or not all(labels):
        raise UsageError(f"--labels {text!r}: give {count} non-empty comma-separated label(s), "
                         f"one per experiment, got {len(labels)}")
    return labels


def assign_labels(experiments: list[ExperimentResult], labels: list[str] | None = None) -> None:
    """Set `experiment.label`: the given labels, else the command plus the hparams that tell it apart."""
    if labels is not None:
        for experiment, label in zip(experiments, labels):
            experiment.label = label
        return
    if len(experiments) > 1 and all(e.swept for e in experiments):  # a --sweep: its values say it all
        for experiment in experiments:
            experiment.label = " ".join(f"{k}={v}" for k, v in experiment.swept.items())
        return
    if len(experiments) == 1:
        strategy = _strategy(experiments[0])
        experiments[0].label = _command(experiments[0]) + (f" ({strategy} pruning)" if strategy else "")
        return
    fields = differing_fields([e.hparams for e in experiments])
    for experiment, diff in zip(experiments, fields):
        detail = format_fields(diff)
        experiment.label = f"{_command(experiment)} {detail}".strip()
    seen: dict[str, int] = {}
    for experiment in experiments:
        seen[experiment.label] = seen.get(experiment.label, 0) + 1
    for experiment in experiments:
        if seen[experiment.label] > 1:  # same command and hparams: e.g. the same folder twice
            experiment.label = f"{experiment.label} [{experiment.name}]"


def _strategy(experiment: ExperimentResult) -> str | None:
    """The pruning strategy of a trunk when it is not the default magnitude pruning (else None):
    a one-experiment legend must not call a random-pruning run just "lottery"."""
    from sparselab.sparsity.hparams import PruningHparams

    section = experiment.hparams.get(PruningHparams.section)
    strategy = section.get("pruning_strategy") if isinstance(section, dict) else None
    default = PruningHparams.__dataclass_fields__["pruning_strategy"].default
    return strategy if strategy and strategy != default else None


def _command(experiment: ExperimentResult) -> str:
    """The command, and where the run comes from when it is not sparselab (reports.openlth)."""
    source = experiment.hparams.get("source")
    return f"{experiment.command} ({source})" if source else experiment.command


def series_name(experiment: ExperimentResult, key: str, several: bool) -> str:
    """Legend entry of one line: the experiment, and the branch when it is not the main series."""
    if key == MAIN:
        return experiment.label
    branch = experiment.series_label(key)
    return f"{experiment.label}: {branch}" if several else branch
