"""`python main.py evaluate`: calibration, OOD detection and robustness of finished jobs.

    python main.py evaluate DIR [DIR ...] [--ood_dataset=NAME] [--attack=fgsm|pgd --eps=E] [...]
    python main.py evaluate <train|lottery|rewindLR|finetune|scratch> <the run's flags> [evaluation flags]

A DIR is a finished job or any folder above jobs (each finished one under it, in path order).
"""
from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any, ClassVar

from sparselab.analysis.evaluation.hparams import EvaluationHparams
from sparselab.analysis.evaluation.runner import PREFIX, evaluate_job
from sparselab.core import layout
from sparselab.core.cli import OneLineParser, pre_read
from sparselab.core.command import Command
from sparselab.core.errors import UsageError
from sparselab.core.scalars import number_flag
from sparselab.core.table import Group, render
from sparselab.store.tree import ASIDE_MARK

FLAG_COMMANDS = ("train", "lottery", "rewindLR", "finetune", "scratch")
COLUMNS = ("density", "accuracy", "nll", "ece", "auroc_msp", "fpr95_msp", "auroc_energy", "fpr95_energy",
           "robust_acc_fgsm", "robust_acc_pgd")


def _natural(path: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]


def find_jobs(path: Path) -> list[Path]:
    """`path` if it is a finished job, else every finished job below it (evaluations excluded)."""
    if not path.is_dir():
        raise UsageError(f"no such job directory: {path}")
    if (path / layout.WEIGHTS_FINAL).exists():
        return [path]
    found = []
    for current, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(PREFIX) and ASIDE_MARK not in d]
        if layout.WEIGHTS_FINAL in files and layout.DONE in files:
            found.append(Path(current))
    if not found:
        raise UsageError(f"{path} holds no finished training job (no {layout.WEIGHTS_FINAL} with a {layout.DONE})")
    return sorted(found, key=_natural)


def _platform_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Platform")
    group.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N | mps (default: auto)")
    group.add_argument("--threads", type=number_flag(int), default=None,
                       help="CPU threads for torch (default: all cores)")
    group.add_argument("--dataset_root", default=None, help="dataset root (else $SPARSELAB_DATA, else ./data)")
    group.add_argument("--download", action="store_true", help="download a missing dataset (needs network)")


def _from_paths(argv: list[str]) -> tuple[list[Path], EvaluationHparams, Any]:
    from sparselab.platforms.base import PlatformHparams

    parser = OneLineParser(prog="main.py evaluate", description=EvaluateCommand.description,
                           epilog="also: main.py evaluate <train|lottery|...> <the run's flags> [evaluation flags]")
    parser.add_argument("paths", nargs="+", metavar="DIR", help="finished jobs, or folders holding them")
    _platform_args(parser)
    EvaluationHparams.add_args(parser)
    args = parser.parse_args(argv)
    platform = PlatformHparams(device=args.device, threads=args.threads, dataset_root=args.dataset_root,
                               download=args.download)
    jobs = [job for p in args.paths for job in find_jobs(Path(p))]
    return jobs, EvaluationHparams.from_args(args), platform


def _from_command(argv: list[str]) -> tuple[list[Path], EvaluationHparams, Any]:
    """`<command> <flags>`: the jobs of the run those flags describe."""
    from sparselab.core.command import published
    from sparselab.platforms.base import results_root
    from sparselab.train.presets import resolve_preset

    command, rest = argv[0], argv[1:]
    runner_cls = published()[command]  # main.py's command table: a FlagCommand
    preset = resolve_preset(pre_read(rest, "default_hparams"))
    parser = OneLineParser(prog=f"main.py evaluate {command}",
                           description=f"evaluate the {command} run these flags describe")
    runner_cls.add_args(parser, preset)
    EvaluationHparams.add_args(parser)
    args = parser.parse_args(rest)
    runner = runner_cls.from_args(args, preset)
    directory = runner.experiment_folder(results_root(runner.platform))  # every replicate of the run
    if not directory.exists():
        raise UsageError(f"no results for this run: {directory} does not exist; create them with: "
                         f"python main.py {command} <same flags>")
    return find_jobs(directory), EvaluationHparams.from_args(args), runner.platform


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}"


def format_table(results: list[dict[str, Any]], names: list[str]) -> str:
    columns = [c for c in COLUMNS if any(r.get(c) is not None for r in results)]
    rows = [[name, *(_cell(r.get(c)) for c in columns)] for name, r in zip(names, results)]
    return render([Group("", ["job", *(f"{c:>7}" for c in columns)], left={0})], rows, width=None)  # 7 wide at least


def _name(job: Path) -> str:
    parts = job.resolve().parts
    return "/".join(parts[-3:]) if job.name == "main" else "/".join(parts[-2:])


class EvaluateCommand(Command):
    name: ClassVar[str] = "evaluate"
    description: ClassVar[str] = ("accuracy, NLL, ECE + reliability diagram, OOD detection (AUROC, FPR@95; max-softmax "
                                  "and energy) and FGSM/PGD robust accuracy of finished jobs, cached beside each job")

    @staticmethod
    def main(argv: list[str]) -> int:
        from sparselab.platforms import registry

        argv = list(argv)
        if not argv:
            raise UsageError("evaluate: give job directories or `<command> <flags of the run>` "
                             "(see: main.py evaluate --help)")
        jobs, h, platform_hparams = _from_command(argv) if argv[0] in FLAG_COMMANDS else _from_paths(argv)
        platform = registry.create(platform_hparams)
        results = [evaluate_job(job, h, platform) for job in jobs]
        print(format_table(results, [_name(j) for j in jobs]), flush=True)
        for r in results:
            print(f"wrote {r['directory']}" + (f" ({r['plot']})" if r.get("plot") else ""))
        return 0


EVALUATE_COMMANDS: dict[str, type] = {EvaluateCommand.name: EvaluateCommand}
