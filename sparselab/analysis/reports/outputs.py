"""What `report` prints and writes: tables, per-layer densities, CSV and its summary, JSON, figures, TensorBoard
(`--tensorboard_dir`: the event files a live run logs, from metrics.csv, `DIR/<experiment>/replicate_<R>/level_<L>/
<series>`). `-` as a file name means stdout; the text tables then stay off stdout so that the data can be piped."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sparselab.core import io as fio
from sparselab.core import table as text
from sparselab.core.errors import UsageError
from sparselab.analysis.reports import density_axis, figure, plot, rows as report_rows, table
from sparselab.analysis.reports.jobs import read_curve, read_hparams
from sparselab.analysis.reports.records import MAIN, MISSING, ExperimentResult
from sparselab.analysis.reports.sweep_table import sweep_table
from sparselab.train.loggers import end_hparams, write_hparams

STDOUT = "-"


def add_args(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--density_of", choices=density_axis.CHOICES, default="auto", help=density_axis.HELP)
    group.add_argument("--summary_csv", metavar="FILE",
                       help="write one row per level and series: n, mean and std (default with --csv F: "
                            "F's name + _summary.csv; '-': stdout)")
    group.add_argument("--series", metavar="A,B", help="draw only these series in --plot: main and/or branch names")
    figure.add_args(group)
    group.add_argument("--wide", action="store_true", help="do not fit the tables to the terminal width")
    group.add_argument("--layers", action="store_true",
                       help="also print the density of every prunable tensor and the multiply-adds per level")
    group.add_argument("--tensorboard_dir", metavar="DIR",
                       help="write each job's metrics.csv as TensorBoard event files under DIR (finished jobs too)")


def check(args: argparse.Namespace) -> None:
    """Fail before reading anything: two outputs to stdout, a style, TensorBoard not installed."""
    targets = [f for f in ("csv", "json", "summary_csv") if getattr(args, f, None) == STDOUT]
    if len(targets) > 1:
        raise UsageError(f"--{targets[0]} - and --{targets[1]} -: only one output can go to stdout")
    for flag in ("plot", "curves", "tensorboard_dir"):
        if getattr(args, flag, None) == STDOUT:
            raise UsageError(f"--{flag} -: give a file name (only --csv, --json and --summary_csv write to stdout)")
    for flag in ("csv", "json", "summary_csv", "plot", "curves"):
        value = getattr(args, flag, None)
        if value and value != STDOUT and not Path(value).absolute().parent.is_dir():
            raise UsageError(f"--{flag} {value}: folder {Path(value).absolute().parent} does not exist "
                             "(it is not created for you)")
    if getattr(args, "tensorboard_dir", None):
        summary_writer()


def summary_path(args: argparse.Namespace) -> str | None:
    if args.summary_csv:
        return args.summary_csv
    if args.csv and args.csv != STDOUT:
        path = Path(args.csv)
        return str(path.with_name(path.stem + "_summary" + (path.suffix or ".csv")))
    return None


def emit(experiments: list[ExperimentResult], args: argparse.Namespace) -> list[str]:
    """Print the tables (unless data goes to stdout) and write every requested file; the names written."""
    density_axis.apply(experiments, args.density_of)
    if args.series:  # an unknown series is an error whether or not a figure is drawn
        figure.series_selection(experiments, args.series)
    text.set_width(None if args.wide else 0)
    to_stdout = STDOUT in (args.csv, args.json, args.summary_csv)
    if not to_stdout:
        print(table.report_text(experiments), flush=True)
        if len(experiments) > 1 and any(e.swept for e in experiments):  # a --sweep report: the points side by side
            print("\n" + sweep_table(experiments), flush=True)
        if args.layers:
            from sparselab.analysis.reports.layers import layers_text

            print("\n\n" + "\n\n".join(layers_text(e) for e in experiments), flush=True)
    written: list[str] = []
    rows = report_rows.rows(experiments)
    if args.csv or args.json:
        from sparselab.analysis.reports.layers import add_multiply_adds

        add_multiply_adds(experiments, rows)
    summary = report_rows.summary_rows(experiments)
    outputs: list[tuple[str | None, Any]] = [
        (args.csv, lambda: report_rows.to_csv(rows, report_rows.with_swept(experiments, report_rows.ROW_COLUMNS))),
        (summary_path(args), lambda: report_rows.to_csv(
            summary, report_rows.with_swept(experiments, report_rows.SUMMARY_COLUMNS))),
        (args.json, lambda: _json_text(report_rows.to_json(experiments, rows, summary))),
    ]
    for target, content in outputs:
        if target:
            written += _write_text(target, content())
    written += _figures(experiments, args)
    if args.tensorboard_dir:
        count = backfill(experiments, Path(args.tensorboard_dir))
        written.append(f"{args.tensorboard_dir} ({count} job(s))")
    return written


def _json_text(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"


def _write_text(target: str, content: str) -> list[str]:
    if target == STDOUT:
        sys.stdout.write(content)
        sys.stdout.flush()
        return []
    fio.write_text(target, content)
    return [target]


def _figures(experiments: list[ExperimentResult], args: argparse.Namespace) -> list[str]:
    written = []
    if args.plot:
        plot.plot_accuracy(experiments, args.plot, metric=args.metric, title=args.title, style=args.style,
                      series=args.series, band=args.band)
        written.append(args.plot)
    if args.curves:
        plot.plot_curves(experiments, args.curves, column=args.curve_metric)
        written.append(args.curves)
    return written


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
