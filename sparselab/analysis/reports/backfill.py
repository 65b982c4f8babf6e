"""`report ... --tensorboard_dir DIR`: TensorBoard event files from the metrics.csv of jobs already run, the
scalars and hparams a live run logs, one run folder per job (`DIR/<experiment>/replicate_<R>/level_<L>/<series>`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sparselab.core.errors import UsageError
from sparselab.analysis.reports.jobs import read_curve, read_hparams
from sparselab.train.loggers import end_hparams, write_hparams
from sparselab.analysis.reports.records import MAIN, MISSING, ExperimentResult


def summary_writer() -> Any:
    """torch's SummaryWriter class, or UsageError when the tensorboard package is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise UsageError("--tensorboard_dir needs the tensorboard package: pip install tensorboard") from None
    return SummaryWriter


def job_folders(experiment: ExperimentResult) -> list[tuple[str, Path]]:
    """(run name under DIR, job directory) of every job that has started."""
    out = []
    for rep in experiment.replicates:
        for level, result in rep.levels.items():
            for key in experiment.series_keys():
                job = result.series(key)
                if job is None or job.status == MISSING:
                    continue
                where = f"level_{level}/" if experiment.kind == "trunk" else ""
                series = MAIN if key == MAIN else key
                out.append((f"{experiment.name}/replicate_{rep.replicate}/{where}{series}", job.directory))
    return out


def write_scalars(writer: Any, rows: list[dict[str, Any]]) -> int:
    """Every numeric column of every row at its iteration, under the live run's tag (train/loss,
    test/accuracy: training.loggers.tag); the number of scalars written."""
    from sparselab.train.loggers import scalars_of, tag

    count = 0
    for row in rows:
        iteration = row.get("iteration")
        if not isinstance(iteration, int):
            continue
        for key, value in scalars_of(row).items():
            writer.add_scalar(tag(key), value, iteration)
            count += 1
    return count


def backfill(experiments: list[ExperimentResult], directory: Path) -> int:
    """Write the event files; the number of jobs that had a metrics.csv."""
    writer_cls = summary_writer()
    jobs = 0
    for experiment in experiments:
        for name, job_dir in job_folders(experiment):
            rows = read_curve(job_dir)
            if not rows:
                continue
            writer = writer_cls(str(directory / name))
            try:
                write_hparams(writer, read_hparams(job_dir) or {})
                write_scalars(writer, rows)
                end_hparams(writer)
            finally:
                writer.close()
            jobs += 1
    return jobs
