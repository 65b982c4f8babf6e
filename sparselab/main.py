"""sparselab command line: `sparselab <command> [flags]` (= `python main.py ...` in a checkout); no command lists them."""
from __future__ import annotations

import sys
from typing import Any, Sequence

from sparselab.foundations import plugins
from sparselab.foundations.cli import did_you_mean, exit_with, program
from sparselab.foundations.command import Command, publish
from sparselab.foundations.compat import translate as translate_openlth
from sparselab.foundations.errors import JobFailed, UsageError, failure_message
from sparselab.foundations.version import __version__


def runners() -> dict[str, type[Command]]:
    """Command name -> command (foundations.command.Command), published for `report <command> <flags>`.
    Imported here so that `python main.py` alone stays quick to parse."""
    from sparselab.branches.runner import branch_commands
    from sparselab.ensembles.command import ENSEMBLE_COMMANDS
    from sparselab.ensembles.train import TrainCommand
    from sparselab.evaluation.command import EVALUATE_COMMANDS
    from sparselab.export.command import EXPORT_COMMANDS
    from sparselab.lottery.runner import TRUNK_RUNNERS
    from sparselab.reports.command import REPORT_COMMANDS
    from sparselab.tickets import TICKET_COMMANDS

    table = {TrainCommand.name: TrainCommand, **TRUNK_RUNNERS, **branch_commands(), **REPORT_COMMANDS,
             **ENSEMBLE_COMMANDS, **EVALUATE_COMMANDS, **EXPORT_COMMANDS, **TICKET_COMMANDS}
    publish(table)
    return table


def menu(table: dict[str, Any]) -> str:
    prog = program()
    lines = [f"usage: {prog} <command> [flags]   ({prog} <command> --help for its flags; --version)", "",
             "commands:"]
    width = max(len(n) for n in table)
    for name, runner in table.items():
        lines.append(f"  {name.ljust(width)}  {runner.description}")
    return "\n".join(lines)


class Terminated(KeyboardInterrupt):
    """SIGTERM (SLURM, Kubernetes, `timeout`) or SIGUSR2 (submitit's warning before a SLURM time limit):
    unwinds like Ctrl-C, so the atomic writes remove their temporary files and the job stays resumable."""


def _on_terminate(signum: int, frame: Any) -> None:
    import signal

    raise Terminated(signal.Signals(signum).name)


def handle_termination() -> None:
    import signal

    for name in ("SIGTERM", "SIGUSR2"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _on_terminate)


def main(argv: Sequence[str] | None = None, raising: bool = False) -> int:
    """Run one command line; the exit status. `raising` (the Python API, `sparselab.run`): errors and
    interrupts propagate as exceptions instead of becoming an `error:` line and an exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        argv = plugins.load_from_argv(argv)  # --plugins=my_models.py: user registrations, before the table
        table = runners()
        if not argv or argv[0] in ("-h", "--help"):
            print(menu(table))
            return 0 if argv else 2
        if argv[0] in ("--version", "-V"):
            print(f"sparselab {__version__}")
            return 0
        command, rest = argv[0], translate_openlth(argv[1:])  # OpenLTH/SDD flags: aliases or one error line
        if command not in table:
            raise UsageError(f"unknown command {command!r}; choose from {', '.join(table)}"
                             + did_you_mean(command, table))
        runner_cls = table[command]
        from sparselab.platforms.sweep import maybe_submit  # --replicates/--sweep/--workers, --platform=slurm

        submitted = maybe_submit(command, rest, main)
        if submitted is not None:
            return submitted
        return int(runner_cls.main(rest) or 0)
    except (UsageError, JobFailed) as e:
        if raising:
            raise
        exit_with(e, 2 if isinstance(e, UsageError) else 1)
    except Terminated as e:
        if raising:
            raise
        print(f"terminated ({e}); rerun the same command to resume", file=sys.stderr)
        return 143
    except (OSError, MemoryError, RuntimeError) as e:  # the machine failed, not the input: one line, exit 1
        message = failure_message(e)
        if message is None or raising:
            raise
        exit_with(message, 1)
    except KeyboardInterrupt:
        if raising:
            raise
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    return 0


def console() -> None:
    """Entry point of `python main.py`, `python -m sparselab` and the `sparselab` console script.

    A second Ctrl-C (or SIGTERM) that lands while the first is being reported, outside `main`'s own
    handlers, still ends with the interrupted status and one line, never a traceback or death by signal.
    """
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
