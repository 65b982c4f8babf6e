"""The small things a new user meets first: did-you-mean, --version, usage under the name typed,
the missing-dataset and missing-level advice, short-run progress, a quiet API."""
from __future__ import annotations

import sys

import pytest

import sparselab
from helpers import call_main
from sparselab.core.cli import OneLineParser, did_you_mean, program
from sparselab.core.errors import UsageError
from sparselab.core.version import __version__
from sparselab.train.progress import Progress


def test_mistyped_flag_command_and_branch_get_a_suggestion():
    status, _, err = call_main(["lottery", "--levles=2"])
    assert status == 2 and "did you mean --levels?" in err and err.count("\n") == 1
    status, _, err = call_main(["lotery"])
    assert status == 2 and err.rstrip().endswith("did you mean lottery?")
    status, _, err = call_main(["lottery_branch", "onesht_prune"])
    assert status == 2 and "did you mean oneshot_prune?" in err
    status, _, err = call_main(["report", "lottry"])
    assert status == 2 and "did you mean lottery?" in err
    assert did_you_mean("--xyzzy", ["--levels", "--root"]) == ""  # nothing close: no guess


def test_version_flag():
    assert call_main(["--version"])[:2] == (0, f"sparselab {__version__}\n")


def test_usage_names_the_program_as_started(monkeypatch):
    for argv0, expected in (("/venv/bin/sparselab", "sparselab"), ("/x/sparselab/__main__.py", "python -m sparselab"),
                            ("main.py", "python main.py"),
                            ("/x/pytest/__main__.py", "python main.py")):
        monkeypatch.setattr(sys, "argv", [argv0])
        assert program() == expected
        parser = OneLineParser(prog="main.py lottery")
        assert parser.prog == f"{expected} lottery"
        with pytest.raises(UsageError, match=f"see: {expected} lottery --help"):
            parser.parse_args(["--nope"])


def test_missing_dataset_names_every_way_to_provide_it(tmp_path):
    status, _, err = call_main(["train", "--dataset_name=mnist", "--training_steps=1it", "--dataset_root", str(tmp_path)])
    assert status == 2
    assert "--dataset_root" in err and "$SPARSELAB_DATA" in err and "--download" in err


def test_progress_of_a_run_shorter_than_an_epoch():
    assert Progress(0, 20, 100).epoch_text(7) == "it 7/20"  # was `ep 0.07/0`
    assert Progress(0, 150, 100).epoch_text(50) == "ep   0.50/1.50"
    assert Progress(0, 300, 100).epoch_text(150) == "ep   1.50/3"
    assert "it " not in Progress(0, 20, 100).step_line(7, 0.5, 64, 1.0, 8).split("  ", 1)[1]


def test_missing_trunk_levels_are_all_named(tmp_path):
    root = ["--root", str(tmp_path), "--training_steps=2it", "--quiet"]
    assert call_main(["lottery", "--levels=1", *root])[0] == 0
    status, _, err = call_main(["lottery_branch", "retrain", "--levels=1-4", *root])
    assert status == 2 and "levels 2, 3, 4 of" in err and "--levels=4" in err and "--create_parents" in err


def test_quiet_api_run_prints_nothing(tmp_path, capsys):
    result = sparselab.run("train", root=tmp_path, training_steps="2it", device="cpu", threads=1, quiet=True)
    assert result.final_test_accuracy is not None and capsys.readouterr().out == ""
