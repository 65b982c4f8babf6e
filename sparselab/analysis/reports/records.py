"""What an experiment directory holds: jobs, levels, replicates, branches; accuracies as fractions.
A job is done, in progress (values from metrics.csv), missing, damaged (fails its checksums: nothing shown)
or unverified (done.json predates checksums: shown, not averaged unless `--include_unverified`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparselab.analysis.evaluation.columns import COLUMNS as EVALUATION_COLUMNS
from sparselab.core import layout
from sparselab.train.metrics import collapse_reasons

DONE, IN_PROGRESS, MISSING, DAMAGED, UNVERIFIED = "done", "in progress", "missing", "damaged", "unverified"

MAIN = layout.MAIN  # the series name of the trunk's own job at each level

# Values read from done.json (or, for a job in progress, derived from metrics.csv).
METRICS: tuple[str, ...] = (
    "density", "density_model", "density_all_parameters", "final_test_accuracy", "best_test_accuracy",
    "best_iteration", "final_train_accuracy", "final_train_clean_accuracy", "final_train_noisy_accuracy",
    "final_train_noisy_true_accuracy", "final_test_loss", "final_train_loss", "iterations", "wall_seconds",
    "final_test_top_prediction_fraction", "final_test_predictions_sha256", "empty_prunable_tensors", "connected",
    "weights_on_path")

# The metrics that are averaged across replicates (with a standard deviation).
# trunk_density: of the trunk level a job belongs to, the x position of branches (collect.py)
AVERAGED: tuple[str, ...] = (
    "density", "trunk_density", "final_test_accuracy", "best_test_accuracy", "final_train_accuracy",
    "final_train_clean_accuracy", "final_train_noisy_accuracy", "final_train_noisy_true_accuracy",
    "final_test_loss", *EVALUATION_COLUMNS)


@dataclass
class JobResult:
    directory: Path
    status: str
    values: dict[str, Any] = field(default_factory=dict)
    last_iteration: int | None = None  # only for jobs in progress: the last logged iteration
    problem: str = ""  # only for damaged jobs: which file, and why
    verified: bool = True  # False: its done.json predates checksums (nothing vouches for its numbers)

    def get(self, key: str) -> Any:
        return self.values.get(key)

    @property
    def has_values(self) -> bool:
        return self.status not in (MISSING, DAMAGED) and self.get("final_test_accuracy") is not None

    @property
    def collapse_reasons(self) -> list[str]:
        """Why the network counts as collapsed (training.metrics.collapse_reasons); [] if it does not."""
        return collapse_reasons(self.values) if self.status != MISSING else []

    @property
    def collapsed(self) -> bool | None:
        """True/False for a finished job, None when it is missing or still running."""
        return bool(self.collapse_reasons) if self.status == DONE else None


@dataclass
class LevelResult:
    level: int
    main: JobResult
    branches: dict[str, JobResult] = field(default_factory=dict)  # branch key -> job

    def series(self, key: str) -> JobResult | None:
        return self.main if key == MAIN else self.branches.get(key)


@dataclass
class ReplicateResult:
    replicate: int
    directory: Path
    levels: dict[int, LevelResult] = field(default_factory=dict)
    pretrain: str | None = None  # job state of level_pretrain/main, None when there is none


@dataclass
class BranchInfo:
    """One kind of branch of an experiment: a name and the hash of its branch hyperparameters."""

    key: str  # the folder name without the "branch_" prefix: "<name>_<hash>"
    name: str
    hash: str
    hparams: dict[str, Any] = field(default_factory=dict)
    label: str = ""


@dataclass
class Stat:
    mean: float | None
    std: float | None  # sample standard deviation (n - 1); None with fewer than two values
    n: int


@dataclass
class ExperimentResult:
    directory: Path
    name: str  # "<command>_<hash>"
    command: str
    kind: str  # "trunk" (levels) or "train" (one job per replicate)
    hparams: dict[str, Any]
    replicates: list[ReplicateResult]
    branches: dict[str, BranchInfo] = field(default_factory=dict)
    label: str = ""
    density_of: str = "counted"  # which density `density` holds (reports.density_axis)
    swept: dict[str, str] = field(default_factory=dict)  # field -> value of this grid point of a --sweep

    def level_numbers(self) -> list[int]:
        return sorted({lv for rep in self.replicates for lv in rep.levels})

    def series_keys(self) -> list[str]:
        return [MAIN, *self.branches]

    def series_label(self, key: str) -> str:
        return "main" if key == MAIN else self.branches[key].label

    def jobs(self, level: int, key: str) -> list[tuple[int, JobResult]]:
        """(replicate, job) for every replicate that has this level and series."""
        found = [(rep.replicate, rep.levels[level].series(key)) for rep in self.replicates if level in rep.levels]
        return [(replicate, job) for replicate, job in found if job is not None]

    def done_jobs(self, level: int, key: str = MAIN) -> list[JobResult]:
        return [job for _, job in self.jobs(level, key) if job.status == DONE]

    def missing_levels(self, rep: ReplicateResult) -> list[int]:
        return [lv for lv, res in sorted(rep.levels.items()) if res.main.status == MISSING]

    def all_jobs(self) -> list[JobResult]:
        return [job for rep in self.replicates for res in rep.levels.values()
                for job in (res.main, *res.branches.values())]

    def damaged(self) -> list[JobResult]:
        return [job for job in self.all_jobs() if job.status == DAMAGED]

    def unverified(self) -> list[JobResult]:
        """Finished jobs whose done.json predates checksums (status UNVERIFIED, or DONE once included)."""
        return [job for job in self.all_jobs() if not job.verified]

    def include_unverified(self) -> None:
        """`report --include_unverified`: unverified jobs count as done (averaged), still marked."""
        for job in self.unverified():
            job.status = DONE

    def in_progress(self) -> list[tuple[int, int, str, JobResult]]:
        """(replicate, level, series, job) of every job in progress."""
        out = []
        for rep in self.replicates:
            for lv, res in sorted(rep.levels.items()):
                for key in self.series_keys():
                    job = res.series(key)
                    if job is not None and job.status == IN_PROGRESS:
                        out.append((rep.replicate, lv, key, job))
        return out

    @property
    def has_results(self) -> bool:
        return any(job.status != MISSING for job in self.all_jobs())
