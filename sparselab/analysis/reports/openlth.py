"""Read an OpenLTH / Sparse Double Descent result tree into report records, to plot old runs next to new.

Layout as open_lth `core/paths.py` (SDD: `branch_` for `lottery_branch_`); `logger`: `<metric>,<iteration>,<value>`
lines written at the end (a job with one is finished); `mask.pth`: name -> 0/1 tensor; `hparams.log`: per bundle a
title line and `    * field => value` lines for the fields that were set.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.store import tree
from sparselab.store.job import has_any
from sparselab.analysis.reports.collect import set_trunk_density
from sparselab.analysis.reports.records import (DONE, MAIN, MISSING, BranchInfo, ExperimentResult, JobResult,
                                                LevelResult, ReplicateResult)

SOURCE = "OpenLTH"  # hparams["source"] of experiments read here: labels say so
LOGGER, MASK, HPARAMS_LOG = layout.OPENLTH_LOGGER, layout.OPENLTH_MASK, layout.OPENLTH_HPARAMS
SECTIONS = {"dataset": "dataset", "model": "model", "training": "training", "pruning": "pruning"}
_FIELD = re.compile(r"^\s*\*\s*(\w+)\s*=>\s*(.*?)\s*$")
_BRANCH = re.compile(r"^(?:lottery_)?branch_(.+)_([0-9a-f]{32})$")


def is_openlth(path: Path | str) -> bool:
    """An experiment folder whose jobs have OpenLTH `logger` files and no sparselab hparams.json."""
    path = Path(path)
    if not path.is_dir():
        return False
    jobs = [*path.glob("replicate_*/main"), *path.glob("replicate_*/level_*/main")]
    return any((j / LOGGER).exists() for j in jobs) and not any(has_any(j, (layout.HPARAMS,)) for j in jobs)


def is_openlth_job(directory: Path | str) -> bool:
    """A job folder OpenLTH finished: its `logger` exists (written last), and sparselab wrote nothing there."""
    return (Path(directory) / LOGGER).is_file() and not has_any(directory)


def final_model(directory: Path) -> Path | None:
    """The model file of the job's latest step (`model_ep<E>_it<I>.pth` with the largest (E, I))."""
    found = [((int(m.group(1)), int(m.group(2))), p) for p in directory.iterdir()
             if (m := layout.OPENLTH_MODEL_RE.match(p.name))]
    return max(found)[1] if found else None


def job_hparams(directory: Path) -> dict[str, Any]:
    """The bundles of the job in `directory`: its own hparams.log, else its trunk's (replicate level_0/main)."""
    for parent in (directory, *list(directory.parents)[:3]):
        if layout.REPLICATE_RE.match(parent.name):
            candidates = [directory, parent / "level_0" / MAIN, parent / MAIN]
            break
    else:
        candidates = [directory]
    for candidate in candidates:
        if (candidate / HPARAMS_LOG).exists():
            return read_hparams_log(candidate / HPARAMS_LOG)
    return {}


def metric_rows(log: dict[str, list[tuple[int, float]]]) -> list[dict[str, Any]]:
    """A logger as metrics.csv-like rows: one per iteration, a column per metric."""
    rows: dict[int, dict[str, Any]] = {}
    for name, points in log.items():
        for iteration, value in points:
            rows.setdefault(iteration, {"iteration": iteration})[name] = value
    return [rows[it] for it in sorted(rows)]


def read_logger(path: Path) -> dict[str, list[tuple[int, float]]]:
    """metric -> [(iteration, value)] sorted by iteration (a repeated key keeps the last value)."""
    table: dict[str, dict[int, float]] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(",")
        try:
            table.setdefault(parts[0], {})[int(parts[1])] = float(parts[2])
        except (IndexError, ValueError):
            raise UsageError(f"{path}:{number}: not an OpenLTH logger line (metric,iteration,value): "
                             f"{line!r}") from None
    return {name: sorted(values.items()) for name, values in table.items()}


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"True": True, "False": False, "None": None}.get(text, text)


def read_hparams_log(path: Path) -> dict[str, Any]:
    """{"dataset": {...}, "model": {...}, ...} from the display blocks (first word of each title)."""
    record: dict[str, Any] = {}
    section: dict[str, Any] | None = None
    for line in path.read_text().splitlines():
        match = _FIELD.match(line)
        if match and section is not None:
            section[match.group(1)] = _value(match.group(2))
        elif line.strip() and not match:
            name = SECTIONS.get(line.strip().split()[0].lower(), line.strip().split()[0].lower())
            section = record.setdefault(name, {})
    return record


def _density(directory: Path) -> float | None:
    path = directory / MASK
    if not path.exists():
        return None
    from sparselab.core import io as fio

    mask = fio.load_torch(path)
    total = sum(int(t.numel()) for t in mask.values())
    kept = sum(int(t.bool().sum()) for t in mask.values())
    return kept / total if total else None


def read_job(directory: Path, dense: bool = False) -> JobResult:
    """A finished job (its logger exists) with the report's values, or a missing one."""
    if not is_openlth_job(directory):
        return JobResult(directory, MISSING)
    log = read_logger(directory / LOGGER)
    values: dict[str, Any] = {}
    for name, key in (("test_accuracy", "final_test_accuracy"), ("test_loss", "final_test_loss"),
                      ("train_accuracy", "final_train_accuracy"), ("train_loss", "final_train_loss")):
        if log.get(name):
            values[key] = log[name][-1][1]
    if log.get("test_accuracy"):
        best_it, best = max(log["test_accuracy"], key=lambda p: (p[1], -p[0]))
        values.update(best_test_accuracy=best, best_iteration=best_it)
    iterations = [it for points in log.values() for it, _ in points]
    if iterations:
        values["iterations"] = max(iterations)
    density = _density(directory)
    values["density"] = 1.0 if density is None and dense else density
    return JobResult(directory, DONE, {k: v for k, v in values.items() if v is not None})


def collect(path: Path | str) -> ExperimentResult:
    """One OpenLTH experiment folder as an ExperimentResult (kind trunk or train)."""
    directory = Path(path)
    replicates, infos, record = [], {}, {}
    for rep_dir in tree.replicate_dirs(directory):
        rep = ReplicateResult(tree.replicate_of(rep_dir), rep_dir)
        if (rep_dir / MAIN).is_dir():
            rep.levels[0] = LevelResult(0, read_job(rep_dir / MAIN, dense=True))
            record = record or _hparams(rep_dir / MAIN)
        for level, level_dir in tree.level_dirs(rep_dir):
            result = LevelResult(level, read_job(level_dir / MAIN, dense=level == 0))
            record = record or _hparams(level_dir / MAIN)
            for branch_dir in sorted(level_dir.iterdir()):
                match = _BRANCH.match(branch_dir.name)
                if match and branch_dir.is_dir():
                    key = f"{match.group(1)}_{match.group(2)}"
                    result.branches[key] = read_job(branch_dir)
                    infos.setdefault(key, BranchInfo(key, match.group(1), match.group(2), label=match.group(1)))
            set_trunk_density(result)  # its jobs are DONE or MISSING
            rep.levels[level] = result
        replicates.append(rep)
    if not replicates:
        raise UsageError(f"--path {directory}: no replicate_<R> folders in this OpenLTH experiment")
    command = directory.name.rsplit("_", 1)[0]
    kind = "train" if all((r.directory / MAIN).is_dir() for r in replicates) else "trunk"
    return ExperimentResult(directory, directory.name, command, kind, {"command": command, "source": SOURCE, **record},
                            replicates, dict(sorted(infos.items())), f"{command} ({SOURCE})")


def _hparams(directory: Path) -> dict[str, Any]:
    path = directory / HPARAMS_LOG
    return read_hparams_log(path) if path.exists() else {}
