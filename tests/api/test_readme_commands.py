"""Every `python main.py` command line of README.md, as printed, parses and names its jobs.

The fast subset of running the README: each job command is run with `--print_path` (every flag checked,
the job directories printed, nothing trained) in an empty folder. The slow test at the end runs every
command of every block, in README order, in a scratch folder (tests/readme_runner.py says what it
substitutes and what it does not run, and why).
"""
from __future__ import annotations

import re

import pytest

from helpers import ROOT, call_main

PREFIX = "python main.py "


def readme_commands() -> list[str]:
    """Command lines of README.md (in fenced and indented blocks; `\\` continuations joined)."""
    lines = (ROOT / "README.md").read_text().splitlines()
    commands, current = [], ""
    for line in lines:
        text = current + " " + line.strip() if current else line.strip()
        if not current and not text.startswith(PREFIX):
            continue
        text = re.sub(r"\s+#.*$", "", text) if not text.rstrip().endswith("\\") else text
        if text.rstrip().endswith("\\"):
            current = text.rstrip()[:-1].strip()
            continue
        current = ""
        commands.append(re.sub(r"\s+#.*$", "", text).strip())
    return commands


def job_commands() -> list[str]:
    from sparselab import main

    table = main.runners()
    jobs = [name for name, cls in table.items() if getattr(cls, "reportable", False) or name.endswith("_branch")]
    return [c for c in readme_commands() if "<" not in c and c[len(PREFIX):].split()[0] in jobs]


# Lines whose refusal here is what the README means: a file the reader brings, a GPU this machine lacks.
NEEDS = {"--csv_file=data.csv": "--csv_file data.csv: no such file", "--device=cuda:1": "CUDA is not available"}


def test_the_readme_has_job_commands():
    assert len(job_commands()) >= 15


@pytest.mark.parametrize("command", job_commands())
def test_readme_job_command_parses_as_printed(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPARSELAB_ROOT", raising=False)
    argv = re.split(r"\s+(?:&|;|&&|\|)\s+", command[len(PREFIX):])[0].split()  # the command, not the shell
    listing = len(argv) == 1 and argv[0].endswith("_branch")  # `lottery_branch` alone lists the branches
    status, out, err = call_main(argv if listing else [*argv, "--print_path"])
    assert "Traceback" not in out + err
    need = next((message for flag, message in NEEDS.items() if flag in argv), None)
    if need is not None:
        assert status == 2 and need in err
        return
    if listing:
        assert "oneshot_prune" in out + err
        return
    assert status == 0, f"{command}: {err}"
    assert out.strip() and not any(tmp_path.rglob("done.json"))  # directories named, nothing trained


def report_commands() -> list[str]:
    return [c for c in readme_commands() if "<" not in c and c[len(PREFIX):].split()[0] == "report"
            and not c[len(PREFIX):].split()[1].startswith("-")]


@pytest.mark.parametrize("command", report_commands())
def test_readme_report_command_runs_as_printed(command, tmp_path, monkeypatch):
    """In an empty folder `report <command> <flags>` says where the results would be and how to make
    them (it ended in a traceback on args.root)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPARSELAB_ROOT", raising=False)
    status, out, err = call_main(command[len(PREFIX):].split())
    assert "Traceback" not in out + err
    assert status == 2 and "does not exist; create them with: " in err and err.count("\n") == 1


def test_the_readme_has_report_commands():
    assert len(report_commands()) >= 2


@pytest.mark.slow
def test_every_readme_command_runs_as_printed(tmp_path):
    """Every command block of README.md, in order (tiny steps only where its readme-test comment says):
    no traceback, and exit 0 unless the README announces the refusal."""
    import readme_runner

    scratch = readme_runner.Scratch(tmp_path)
    ran, failures = 0, []
    for command in readme_runner.commands():
        if readme_runner.skip_reason(command) is not None:
            continue
        line, problem = readme_runner.run(command, scratch)
        ran += 1
        if problem is not None:
            failures.append(f"README line {command.line}: {line}: {problem}")
    assert ran >= 50
    assert not failures, "\n".join(failures)


def test_the_readme_runner_substitutes_only_what_the_readme_says(tmp_path):
    """The slow test's changes to a command line: the README's tiny-steps flags, placeholders."""
    import readme_runner

    commands = readme_runner.commands()
    headline = next(c for c in commands if c.text.startswith("sparselab lottery"))
    scratch = readme_runner.Scratch(tmp_path)
    assert readme_runner.resolve(headline, scratch) == \
        "python main.py lottery --pruning_strategy=random --levels=30 --training_steps=2it --threads=1"
    retrain = next(c for c in commands if "lottery_branch retrain" in c.text)
    text = readme_runner.resolve(retrain, scratch)
    assert "--retrain_t_training_steps=2it" in text and "--retrain_t_regain_pruned_weights_steps=1it" in text
    listing = next(c for c in commands if c.text == "python main.py lottery_branch")
    assert readme_runner.resolve(listing, scratch) == "python main.py lottery_branch"
    assert readme_runner.skip_reason(next(c for c in commands if c.text.startswith("torchrun"))) is not None
