"""`python main.py evaluate_ensemble`: per-member and ensemble metrics of finished jobs.

    python main.py evaluate_ensemble DIR [DIR ...] [--json FILE] [--plot] [--bins 15]
    python main.py evaluate_ensemble train <the flags of the ensemble run> [--json FILE] [--plot]

A DIR is an ensemble job (`train --ensemble=...`) or a single finished job; several single jobs form
an ensemble. Prints the table and writes JSON (default `<first DIR>/ensemble_evaluation.json`);
`--plot` also writes `ensemble_disagreement.png` and `ensemble_reliability.png` next to the JSON.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, ClassVar

from sparselab.core import layout
from sparselab.core import io as fio
from sparselab.core.cli import OneLineParser
from sparselab.core.command import Command
from sparselab.core.errors import UsageError
from sparselab.core.scalars import number_flag

JSON_NAME = layout.ENSEMBLE_EVALUATION
PLOT_NAMES = ("ensemble_disagreement.png", "ensemble_reliability.png")


def add_output_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Ensemble evaluation")
    group.add_argument("--json", metavar="FILE", help=f"where to write the results (default: <first DIR>/{JSON_NAME})")
    group.add_argument("--plot", action="store_true", help="also draw the disagreement heat map and the "
                                                            "reliability diagram next to the JSON")
    group.add_argument("--bins", type=number_flag(int), default=15, help="equal-width confidence bins of ECE (default: 15)")


def _from_command(argv: list[str]) -> tuple[list[Path], argparse.Namespace, Any]:
    """`train <flags>`: the ensemble job those flags describe."""
    from sparselab.experiments.ensembles.train import TrainCommand
    from sparselab.platforms.base import results_root

    args, preset = TrainCommand.parse_flags(argv[1:], prog="main.py evaluate_ensemble train",
                                            description="evaluate the ensemble that these train flags describe",
                                            more=add_output_args)
    runner, _ = TrainCommand.train_runner(args, preset)
    directory = runner.directory(results_root(runner.platform))
    if not directory.exists():
        raise UsageError(f"no results for this run: {directory} does not exist; create them with: "
                         f"python main.py train <same flags>")
    return [directory], args, runner.platform


def _from_paths(argv: list[str]) -> tuple[list[Path], argparse.Namespace, Any]:
    from sparselab.platforms.base import PlatformHparams

    parser = OneLineParser(prog="main.py evaluate_ensemble", description=EvaluateEnsembleCommand.description)
    parser.add_argument("paths", nargs="+", metavar="DIR", help="ensemble job directories or finished job directories")
    group = parser.add_argument_group("Platform")
    group.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N | mps (default: auto)")
    group.add_argument("--threads", type=number_flag(int), default=None, help="CPU threads for torch (default: all cores)")
    group.add_argument("--dataset_root", default=None, help="dataset root (else $SPARSELAB_DATA, else ./data)")
    add_output_args(parser)
    args = parser.parse_args(argv)
    platform = PlatformHparams(device=args.device, threads=args.threads, dataset_root=args.dataset_root)
    return [Path(p) for p in args.paths], args, platform


def evaluate_paths(paths: list[Path], platform_hparams: Any, bins: int) -> tuple[list[str], dict[str, Any], list]:
    from sparselab.data.hparams import DatasetHparams
    from sparselab.experiments.ensembles.members import member_probabilities, resolve
    from sparselab.experiments.ensembles.metrics import evaluate
    from sparselab.platforms import registry
    from sparselab.train.data import prepare_data

    members = resolve(paths)
    platform = registry.create(platform_hparams)
    dataset = DatasetHparams.from_dict(members[0].record["dataset"])
    data = prepare_data(dataset, platform.dataset_root, replicate=1, download=platform.hparams.download)
    probs, labels = member_probabilities(members, data, platform.device)
    return [m.name for m in members], evaluate(probs, labels, bins), members


class EvaluateEnsembleCommand(Command):
    name: ClassVar[str] = "evaluate_ensemble"
    description: ClassVar[str] = ("accuracy, NLL, ECE, Brier, disagreement and KL of ensemble members and of "
                                  "their mean softmax (job directories, or train and its flags)")

    @classmethod
    def main(cls, argv: list[str]) -> int:
        from sparselab.experiments.ensembles.plot import plot_disagreement, plot_reliability
        from sparselab.experiments.ensembles.table import format_table

        argv = list(argv)
        if not argv:
            raise UsageError("evaluate_ensemble: give job directories or `train <flags of the ensemble run>` "
                             "(see: main.py evaluate_ensemble --help)")
        if "--plot" in argv:  # before any work: not a table and a JSON, then a traceback
            from sparselab.experiments.ensembles.plot import _pyplot

            _pyplot()
        paths, args, platform = _from_command(argv) if argv[0] == "train" else _from_paths(argv)
        if args.bins < 1:
            raise UsageError(f"--bins must be >= 1, got {args.bins}")
        names, result, members = evaluate_paths(paths, platform, args.bins)
        print(format_table(names, result), flush=True)
        out = Path(args.json) if args.json else paths[0] / JSON_NAME
        fio.write_json(out, {"members": [{"name": n, "directory": str(m.directory), **s}
                                         for n, m, s in zip(names, members, result["members"])],
                             **{k: v for k, v in result.items() if k != "members"}})
        print(f"wrote {out}")
        if args.plot:
            figures = [out.parent / n for n in PLOT_NAMES]
            plot_disagreement(names, result["disagreement"], figures[0])
            plot_reliability(result, names, figures[1])
            for f in figures:
                print(f"wrote {f}")
        return 0


ENSEMBLE_COMMANDS: dict[str, type] = {EvaluateEnsembleCommand.name: EvaluateEnsembleCommand}
