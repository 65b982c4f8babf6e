"""`python main.py evaluate_ensemble DIR [DIR ...] | train <flags of the ensemble run> [--json FILE] [--plot]`: metrics
of the members and their ensemble; a DIR is an ensemble job or a finished job (several form an ensemble)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, ClassVar, Sequence

from sparselab.core import layout
from sparselab.core import io as fio
from sparselab.core.cli import OneLineParser
from sparselab.core.command import Command
from sparselab.core.errors import UsageError
from sparselab.core.scalars import number_flag
from sparselab.core.table import Group, render

JSON_NAME = layout.ENSEMBLE_EVALUATION
PLOT_NAMES = ("ensemble_disagreement.png", "ensemble_reliability.png")
METRICS = ("accuracy", "nll", "ece", "brier")


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


def _cells(name: str, s: dict[str, float]) -> list[str]:
    return [name, f"{100 * s['accuracy']:8.2f}%", f"{s['nll']:8.4f}", f"{s['ece']:7.4f}", f"{s['brier']:7.4f}"]


def format_table(names: Sequence[str], result: dict[str, Any]) -> str:
    member_mean = {k: sum(s[k] for s in result["members"]) / len(result["members"]) for k in METRICS}
    rows = [_cells(name, s) for name, s in zip(names, result["members"])]
    rows += [_cells("mean of members", member_mean), _cells("ensemble (mean softmax)", result["ensemble"])]
    table = render([Group("", ["member", *METRICS], left={0})], rows, width=None, rule=True)
    return (f"{table}\npairwise disagreement {result['mean_disagreement']:.4f}   pairwise KL {result['mean_kl']:.4f}   "
            f"({len(names)} members, {result['examples']} test examples, ECE with {result['bins']} bins)")


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from sparselab.core.errors import UsageError

        raise UsageError("--plot needs matplotlib: pip install matplotlib") from None
    return plt


def plot_disagreement(names: Sequence[str], matrix: list[list[float]], path: Path | str) -> None:
    plt = _pyplot()
    m = len(names)
    fig, ax = plt.subplots(figsize=(1.2 * m + 2.5, 1.2 * m + 1.5))
    image = ax.imshow(matrix, cmap="viridis", vmin=0)
    ax.set_xticks(range(m), labels=names, rotation=45, ha="right")
    ax.set_yticks(range(m), labels=names)
    top = max(max(row) for row in matrix) or 1.0
    for i in range(m):
        for j in range(m):
            colour = "black" if matrix[i][j] > 0.6 * top else "white"
            ax.text(j, i, f"{matrix[i][j]:.3f}", ha="center", va="center", color=colour, fontsize=8)
    ax.set_title("pairwise prediction disagreement")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_reliability(result: dict[str, Any], names: Sequence[str], path: Path | str) -> None:
    """Accuracy per confidence bin for the ensemble (bars) and each member (dots), with the diagonal."""
    plt = _pyplot()
    table = result["calibration"]
    bins = result["bins"]
    centres = [(lo + hi) / 2 for lo, hi in zip(table["lower"], table["upper"])]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.bar(centres, [a or 0.0 for a in table["accuracy"]], width=1.0 / bins, edgecolor="black", alpha=0.6,
           label=f"ensemble (ECE {result['ensemble']['ece']:.3f})")
    for name, member, scores in zip(names, result["member_calibration"], result["members"]):
        points = [(c, a) for c, a in zip(centres, member["accuracy"]) if a is not None]
        ax.plot([c for c, _ in points], [a for _, a in points], "o", ms=3, label=f"{name} (ECE {scores['ece']:.3f})")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence", ylabel="accuracy", title=f"reliability diagram ({bins} bins)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


class EvaluateEnsembleCommand(Command):
    name: ClassVar[str] = "evaluate_ensemble"
    description: ClassVar[str] = ("accuracy, NLL, ECE, Brier, disagreement and KL of ensemble members and of "
                                  "their mean softmax (job directories, or train and its flags)")

    @classmethod
    def main(cls, argv: list[str]) -> int:
        argv = list(argv)
        if not argv:
            raise UsageError("evaluate_ensemble: give job directories or `train <flags of the ensemble run>` "
                             "(see: main.py evaluate_ensemble --help)")
        if "--plot" in argv:  # before any work: not a table and a JSON, then a traceback
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
