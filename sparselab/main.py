"""sparselab command line: `sparselab <command> [flags]` (= `python main.py ...` in a checkout); no command lists them."""
from __future__ import annotations

import sys
from typing import Any, Sequence

from sparselab.core import plugins
from sparselab.core.cli import did_you_mean, exit_with, program
from sparselab.core.command import CommandTable, Entry, publish
from sparselab.core.compat import translate as translate_openlth
from sparselab.core.errors import JobFailed, UsageError, failure_message
from sparselab.core.version import __version__

_TRUNK = "sparselab.experiments.lottery.runner:TRUNK_RUNNERS"
_BRANCH = "sparselab.experiments.branches.runner:branch_commands"
_TRUNKS = {"lottery": "iterative pruning with weight rewinding (lottery tickets)",
           "rewindLR": "iterative pruning with learning-rate rewinding",
           "finetune": "iterative pruning with fine-tuning at a small learning rate",
           "scratch": "iterative pruning, each level retrained from a new initialisation"}

# The menu, in its order: name, one line, where the command lives (imported only when it is chosen).
COMMANDS: tuple[Entry, ...] = (
    Entry("train", "train one network", "sparselab.experiments.ensembles.train:TrainCommand"),
    *(Entry(name, line, _TRUNK) for name, line in _TRUNKS.items()),
    *(Entry(f"{name}_branch", f"ablations on a finished {name} run", _BRANCH) for name in ("train", *_TRUNKS)),
    Entry("report", "tables, CSV/JSON and plots of experiments (--path DIR, or a command and its flags)",
          "sparselab.analysis.reports.command:REPORT_COMMANDS"),
    Entry("list", "list the experiments under a results root", "sparselab.analysis.reports.command:REPORT_COMMANDS"),
    Entry("verify", "check every job under a root against its checksums (--repair moves damaged jobs aside)",
          "sparselab.analysis.reports.command:REPORT_COMMANDS"),
    Entry("evaluate_ensemble", "accuracy, NLL, ECE, Brier, disagreement and KL of ensemble members and of their "
          "mean softmax (job directories, or train and its flags)", "sparselab.experiments.ensembles.command:ENSEMBLE_COMMANDS"),
    Entry("evaluate", "accuracy, NLL, ECE + reliability diagram, OOD detection (AUROC, FPR@95; max-softmax and "
          "energy) and FGSM/PGD robust accuracy of finished jobs, cached beside each job",
          "sparselab.analysis.evaluation.command:EVALUATE_COMMANDS"),
    Entry("export", "write a deployable model of a finished job (dense, csr, semi_structured, channels)",
          "sparselab.analysis.export.command:EXPORT_COMMANDS"),
    Entry("supermask", "strong lottery tickets: train scores of frozen weights inside an ER mask",
          "sparselab.experiments.tickets:TICKET_COMMANDS"),
    Entry("str", "STR: learned per-layer soft thresholds, from an ER mask", "sparselab.experiments.tickets:TICKET_COMMANDS"),
)


def runners() -> CommandTable:
    """Command name -> Command, published for `report <command> <flags>`; modules are imported on lookup."""
    table = CommandTable(COMMANDS)
    publish(table)
    return table


def menu(table: CommandTable) -> str:
    prog = program()
    width = max(len(n) for n in table)
    return "\n".join([f"usage: {prog} <command> [flags]   ({prog} <command> --help for its flags; --version)", "",
                      "commands:", *(f"  {name.ljust(width)}  {line}" for name, line in table.descriptions().items())])


class Terminated(KeyboardInterrupt):
    """SIGTERM (SLURM, `timeout`) or SIGUSR2 (submitit's warning before a time limit): unwinds like Ctrl-C."""


def _on_terminate(signum: int, frame: Any) -> None:
    import signal

    raise Terminated(signal.Signals(signum).name)


def handle_termination() -> None:
    import signal

    for name in ("SIGTERM", "SIGUSR2"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _on_terminate)


def _sweep_summary(command: str, argv: list[str]) -> None:
    """A finished sweep's mean ± std table; the jobs succeeded, so a table that cannot be made is only a note."""
    from sparselab.analysis.reports.sweep_table import print_summary

    try:
        print_summary(command, argv)
    except UsageError as e:
        print(f"sweep: no summary table ({e}); see: {program()} report {command} <same flags>", flush=True)


def main(argv: Sequence[str] | None = None, raising: bool = False) -> int:
    """Run one command line; the exit status. `raising` (`sparselab.run`): errors and interrupts propagate."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        argv = plugins.load_from_argv(argv)  # --plugins=my_models.py: user registrations, before the table
        table = runners()
        if not argv or argv[0] in ("-h", "--help"):
            print(menu(table))  # from the table alone: no command module, no torch
            return 0
        if argv[0] in ("--version", "-V"):
            print(f"sparselab {__version__}")
            return 0
        command, rest = argv[0], translate_openlth(argv[1:])  # OpenLTH/SDD flags: aliases or one error line
        if command not in table:
            raise UsageError(f"unknown command {command!r}; choose from {', '.join(table)}"
                             + did_you_mean(command, table))
        runner_cls = table[command]
        from sparselab.platforms.sweep import maybe_submit  # --replicates/--sweep/--workers, --platform=slurm

        submitted = maybe_submit(command, rest, main, summary=_sweep_summary)  # a sweep ends with its table
        if submitted is not None:
            return submitted
        return int(runner_cls.main(rest) or 0)
    except (UsageError, JobFailed, KeyboardInterrupt, OSError, MemoryError, RuntimeError) as e:
        machine = not isinstance(e, (UsageError, JobFailed, KeyboardInterrupt))  # the machine failed, not the input
        message = failure_message(e) if machine else None
        if raising or (machine and message is None):
            raise
        if isinstance(e, KeyboardInterrupt):
            terminated = isinstance(e, Terminated)
            print(f"terminated ({e}); rerun the same command to resume" if terminated else
                  "interrupted; rerun the same command to resume", file=sys.stderr)
            return 143 if terminated else 130
        exit_with(message or e, 2 if isinstance(e, UsageError) else 1)
    return 0


def console() -> None:
    """`python main.py`, `python -m sparselab`, `sparselab`: a second Ctrl-C (or SIGTERM) while the first is being
    reported still ends with the interrupted status and one line, never a traceback."""
    handle_termination()
    try:
        status = main()
    except KeyboardInterrupt as e:
        status = 143 if isinstance(e, Terminated) else 130
        print("interrupted; rerun the same command to resume", file=sys.stderr)
    import signal

    for name in ("SIGINT", "SIGTERM"):  # nothing is left to checkpoint: further signals only end the exit
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    sys.exit(status)


if __name__ == "__main__":
    console()
