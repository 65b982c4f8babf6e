"""Read experiment directories back into records (reports.records), and average across replicates."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable

from sparselab.core import layout
from sparselab.analysis.reports.jobs import read_hparams, read_job
from sparselab.analysis.reports.records import (AVERAGED, DONE, MAIN, MISSING, BranchInfo, ExperimentResult,
                                                JobResult, LevelResult, ReplicateResult, Stat)
from sparselab.store import tree
from sparselab.train.metrics import mark_repeats


def collect(path: Path | str) -> ExperimentResult:
    """Read one experiment (or one replicate of it) into records."""
    directory, reps = tree.experiment_of(path)
    kind = "train" if any((r / MAIN).is_dir() for r in reps) or not any(tree.level_dirs(r) for r in reps) else "trunk"
    replicates = [_read_replicate(r, kind) for r in reps]
    if kind == "trunk":
        _fill_missing_levels(replicates)
    hparams = _trunk_hparams(directory, reps, kind)
    name = directory.name
    command = hparams.get("command") or _command_from_name(name)
    return ExperimentResult(directory, name, command, kind, hparams, replicates, _branch_infos(replicates), command)


def _command_from_name(name: str) -> str:
    match = layout.EXPERIMENT_RE.match(name)
    return match.group(1) if match else name


def _read_replicate(directory: Path, kind: str) -> ReplicateResult:
    rep = ReplicateResult(tree.replicate_of(directory), directory)
    levels = tree.level_dirs(directory) if kind == "trunk" else [(0, layout.level_parent(directory, 0))]
    for level, level_dir in levels:
        main = read_job(layout.train_dir(directory), dense=True) if kind == "train" else read_job(level_dir / MAIN)
        result = LevelResult(level, main)
        for key, branch_dir in tree.branch_dirs(level_dir):  # none where a train run has no train_branch
            result.branches[key] = read_job(branch_dir)
        set_trunk_density(result)
        rep.levels[level] = result
    mark_repeats([res.main.values for res in rep.levels.values() if res.main.status == DONE])
    pretrain = layout.pretrain_dir(directory)
    if pretrain.exists():
        rep.pretrain = read_job(pretrain).status
    return rep


def set_trunk_density(result: LevelResult) -> None:
    """Every job of a level gets `trunk_density`, the density of the level's trunk job: a branch is an
    ablation AT that level (a re-dense retrain ends at density 1 but belongs at the trunk's)."""
    density = result.main.get("density")
    if density is None:
        return
    for job in (result.main, *result.branches.values()):
        if job.status != MISSING:
            job.values["trunk_density"] = density


def _fill_missing_levels(replicates: list[ReplicateResult]) -> None:
    """Every replicate gets every level from 0 to the highest level any replicate has."""
    top = max((lv for rep in replicates for lv in rep.levels), default=-1)
    for rep in replicates:
        for level in range(top + 1):
            if level not in rep.levels:
                rep.levels[level] = LevelResult(level, JobResult(layout.level_dir(rep.directory, level), MISSING))
        rep.levels = dict(sorted(rep.levels.items()))


def _trunk_hparams(directory: Path, reps: list[Path], kind: str) -> dict[str, Any]:
    """The trunk's hparams.json: from any job of the experiment (they share the bundles)."""
    candidates: list[Path] = []
    for rep in reps + tree.replicate_dirs(directory):
        if kind == "train":
            candidates.append(rep / MAIN)
        else:
            candidates += [level_dir / MAIN for _, level_dir in tree.level_dirs(rep)]
    for job_dir in candidates:
        record = read_hparams(job_dir)
        if record is not None:
            return record
    return {}


def _branch_infos(replicates: list[ReplicateResult]) -> dict[str, BranchInfo]:
    infos: dict[str, BranchInfo] = {}
    for rep in replicates:
        for result in rep.levels.values():
            for key, job in result.branches.items():
                if key in infos:
                    continue
                match = layout.BRANCH_RE.match(layout.branch_prefix(key))
                assert match is not None
                record = read_hparams(job.directory) or {}
                name = str(record.get("branch") or match.group(1))
                infos[key] = BranchInfo(key, name, match.group(2), dict(record.get("branch_hparams") or {}))
    ordered = dict(sorted(infos.items(), key=lambda kv: (kv[1].name, kv[1].hash)))
    _label_branches(list(ordered.values()))
    return ordered


def _label_branches(infos: list[BranchInfo]) -> None:
    """A branch is labelled by its name; branches sharing a name add the hparams that tell them apart."""
    by_name: dict[str, list[BranchInfo]] = {}
    for info in infos:
        by_name.setdefault(info.name, []).append(info)
    for name, group in by_name.items():
        if len(group) == 1:
            group[0].label = name
            continue
        flats = [_flatten(info.hparams) for info in group]
        keys = sorted({k for flat in flats for k in flat})
        differing = [k for k in keys if len({repr(flat.get(k)) for flat in flats}) > 1]
        for info, flat in zip(group, flats):
            detail = ", ".join(f"{k}={flat.get(k)}" for k in differing[:3])
            info.label = f"{name} ({detail})" if detail else f"{name} [{info.hash[:8]}]"


def _flatten(values: dict[str, Any]) -> dict[str, Any]:
    """Branch hparams may be grouped by bundle ({"branch": {...}}); labels want the fields."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def mean_std(values: Iterable[float]) -> Stat:
    """Mean and sample standard deviation (n - 1); std is None for fewer than two values."""
    data = [float(v) for v in values]
    n = len(data)
    if n == 0:
        return Stat(None, None, 0)
    mean = sum(data) / n
    if n < 2:
        return Stat(mean, None, n)
    return Stat(mean, math.sqrt(sum((x - mean) ** 2 for x in data) / (n - 1)), n)


def summarize(experiment: ExperimentResult, level: int, key: str = MAIN) -> dict[str, Stat]:
    """Mean and std of every averaged metric over the replicates whose job at (level, series) is done."""
    done = experiment.done_jobs(level, key)
    return {metric: mean_std(job.get(metric) for job in done if job.get(metric) is not None) for metric in AVERAGED}


def done_count(experiment: ExperimentResult, level: int, key: str = MAIN) -> int:
    return len(experiment.done_jobs(level, key))
