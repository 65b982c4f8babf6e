"""The `report`, `list` and `verify` commands of main.py (`report --path DIR ...`, `report <command> <flags>`)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, ClassVar

from sparselab.core import integrity
from sparselab.core.cli import OneLineParser, did_you_mean, program
from sparselab.core.command import Command, published
from sparselab.core.errors import UsageError


def default_root(given: str | None = None) -> Path:
    """--root of list/verify: the same rule as every job's (--root, else $SPARSELAB_ROOT, else ./runs)."""
    from sparselab.platforms.base import root_path

    return root_path(given)


def run_commands() -> dict[str, Any]:
    """Commands whose runs `report <command> <flags>` can find (from main.py's table: no runner imported)."""
    return {name: cls for name, cls in published().items() if cls.reportable}


def add_output_args(parser: argparse.ArgumentParser) -> None:
    from sparselab.analysis.reports.plot import CURVE_METRICS, PLOT_METRICS

    group = parser.add_argument_group("Report output")
    group.add_argument("--csv", metavar="FILE", help="write one row per job (run x level x replicate; fractions) "
                                                     "as CSV; '-': stdout")
    group.add_argument("--json", metavar="FILE", help="write the same rows, the summary rows and each "
                                                      "experiment's hparams as JSON; '-': stdout")
    group.add_argument("--plot", metavar="FILE", help="draw accuracy vs percent of weights remaining (.png/.pdf/.svg)")
    group.add_argument("--curves", metavar="FILE", help="draw training curves (accuracy vs iteration) per level")
    group.add_argument("--labels", metavar="A,B", help="comma-separated names of the experiments, in order")
    group.add_argument("--metric", default="final_test_accuracy",
                       help=f"y value of --plot [{'|'.join(PLOT_METRICS)}] (default: final_test_accuracy)")
    group.add_argument("--curve_metric", default="test_accuracy",
                       help=f"y value of --curves [{'|'.join(CURVE_METRICS)}] (default: test_accuracy)")
    group.add_argument("--title", help="title of the --plot figure")
    group.add_argument("--include_unverified", action="store_true",
                       help="average jobs finished before checksums existed (always shown, marked 'unverified'; "
                            "left out of means and n by default)")
    from sparselab.analysis.reports import outputs

    outputs.add_args(group)


def run_directory(command: str, argv: list[str]) -> tuple[Path, argparse.Namespace]:
    """The experiment folder of `python main.py <command> <argv>`, and the parsed output flags."""
    directory, args = run_folder(command, argv)
    if not directory.exists():
        raise UsageError(f"no results for this {command} run: {directory} does not exist; create them with: "
                         f"{program()} {command} <same flags>")
    return directory, args


def run_folder(command: str, argv: list[str]) -> tuple[Path, argparse.Namespace]:
    """Where `python main.py <command> <argv>` writes (whether or not it has run), and the output flags."""
    commands = run_commands()
    if command not in commands:
        raise UsageError(f"report: unknown command {command!r}; choose from {', '.join(commands)}, "
                         "or give --path DIR" + did_you_mean(command, commands))
    runner, args = commands[command].parse(argv, prog=f"main.py report {command}", more=add_output_args,
                                           description=f"report on the `{command}` run that these flags describe")
    return runner.experiment_folder(default_root(runner.platform.root)), args  # the run's flags consumed --root


class ReportCommand(Command):
    name: ClassVar[str] = "report"
    description: ClassVar[str] = "tables, CSV/JSON and plots of experiments (--path DIR, or a command and its flags)"

    @classmethod
    def main(cls, argv: list[str]) -> int:
        from sparselab.analysis.reports.plot import CURVE_METRICS, PLOT_METRICS, check_metric, check_output

        argv = list(argv)
        swept: list[dict[str, str]] = [{}]
        if argv and not argv[0].startswith("-"):
            paths, swept, args = sweep_directories(argv[0], argv[1:])
        else:
            parser = OneLineParser(prog="main.py report", description=ReportCommand.description)
            parser.add_argument("--path", action="append", default=[], metavar="DIR",
                                help="an experiment folder <command>_<hash> or one replicate_<R> folder; repeatable")
            parser.add_argument("--compare", nargs="+", default=[], metavar="DIR",
                                help="several experiment folders to put side by side (same as several --path)")
            add_output_args(parser)
            args = parser.parse_args(argv)
            paths = [Path(p) for p in args.path + args.compare]
            if not paths:
                raise UsageError("report: give --path DIR, --compare DIR1 DIR2 ..., or a command and its flags "
                                 "(e.g. python main.py report lottery --levels=3)")
        check_metric(args.metric, PLOT_METRICS, "--metric")
        check_metric(args.curve_metric, CURVE_METRICS, "--curve_metric")
        from sparselab.analysis.reports.outputs import check

        check(args)
        for flag, path in (("--plot", args.plot), ("--curves", args.curves)):
            if path:
                check_output(path, flag)
        return report(paths, args, swept)


def sweep_directories(command: str, argv: list[str]) -> tuple[list[Path], list[dict[str, str]], argparse.Namespace]:
    """The folders of `<command> <argv>`, one per --sweep grid point (every replicate is in each), with
    each point's field values; --replicates and --workers only choose jobs, so they are dropped. Points
    that have not run are named on stderr and left out (an error only when none has run)."""
    import sys

    from sparselab.platforms.grid import expand, values

    expansion = expand(command, argv)
    if len(expansion.points) == 1:
        directory, args = run_directory(command, [*expansion.flags, *expansion.points[0]])
        return [directory], [values(expansion.points[0])], args
    found = [(run_folder(command, [*expansion.flags, *point]), values(point)) for point in expansion.points]
    present = [((directory, args), point) for (directory, args), point in found if directory.exists()]
    if not present:
        raise UsageError(f"no results for this {command} sweep, none of its {len(found)} grid points has run: "
                         f"{found[0][0][0]} does not exist; create them with: {program()} {command} <same flags>")
    for (directory, _), point in found:
        if not directory.exists():
            print(f"sweep: {' '.join(f'{k}={v}' for k, v in point.items())} has not run yet ({directory})",
                  file=sys.stderr)
    return [d for (d, _), _ in present], [p for _, p in present], present[0][0][1]


def report(paths: list[Path], args: argparse.Namespace, swept: list[dict[str, str]] | None = None) -> int:
    import sys

    from sparselab.analysis.reports.labels import assign_labels, parse_labels
    from sparselab.analysis.reports.outputs import emit
    from sparselab.analysis.reports.sources import collect_any

    experiments = [collect_any(p) for p in paths]
    for experiment, point in zip(experiments, swept or []):
        experiment.swept = point
    if args.include_unverified:
        for experiment in experiments:
            experiment.include_unverified()
    assign_labels(experiments, parse_labels(args.labels, len(experiments)))
    if not any(e.has_results for e in experiments):
        raise UsageError("nothing to report yet: no level of " + ", ".join(str(e.directory) for e in experiments)
                         + " is finished or running")
    written = emit(experiments, args)
    for path in written:  # on stderr when the data itself goes to stdout
        print(f"wrote {path}", file=sys.stderr if "-" in (args.csv, args.json, args.summary_csv) else sys.stdout)
    damaged = [job for e in experiments for job in e.damaged()]
    if damaged:
        raise DamagedResults(f"{len(damaged)} damaged job(s), left out of the report: {damaged[0].problem}; "
                             f"{integrity.repair_hint(damaged[0].directory)}")
    return 0


class DamagedResults(UsageError):
    """Some jobs of a report failed their checksums: the report is printed without them, exit 2."""


class ListCommand(Command):
    name: ClassVar[str] = "list"
    description: ClassVar[str] = "list the experiments under a results root"

    @classmethod
    def main(cls, argv: list[str]) -> int:
        from sparselab.analysis.reports.listing import list_root, render_listing

        parser = OneLineParser(prog="main.py list", description=ListCommand.description)
        parser.add_argument("--root", default=None, help="results root (default: $SPARSELAB_ROOT, else ./runs)")
        args = parser.parse_args(list(argv))
        root = default_root(args.root)
        if not root.is_dir():
            raise UsageError(f"--root {root}: no such directory")
        print(render_listing(list_root(root), root))
        return 0


def _commands() -> dict[str, type]:
    from sparselab.analysis.reports.verify import VerifyCommand

    return {ReportCommand.name: ReportCommand, ListCommand.name: ListCommand, VerifyCommand.name: VerifyCommand}


REPORT_COMMANDS: dict[str, type] = _commands()
