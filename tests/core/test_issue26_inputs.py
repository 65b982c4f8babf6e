"""Issue 26, classes 5 and 7: ranges bounded before they are expanded; bad inputs are one short error line."""
from __future__ import annotations

import pytest

from helpers import run_main
from sparselab.core import io as fio
from sparselab.core.errors import UsageError
from sparselab.core.levels import MAX_COUNT, parse_levels


@pytest.mark.parametrize("text", [f"0-{MAX_COUNT}", f"1-{MAX_COUNT // 2},{MAX_COUNT}-{2 * MAX_COUNT}",
                                  "0-99999999999"])
def test_a_range_naming_too_many_values_is_refused_before_it_is_built(text):
    with pytest.raises(UsageError, match=f"names more than {MAX_COUNT:,} values"):
        parse_levels(text, flag="--replicates")


def test_the_largest_allowed_range_still_parses():
    assert len(parse_levels(f"1-{MAX_COUNT}")) == MAX_COUNT


@pytest.mark.parametrize("argv", [("lottery_branch", "randomly_prune", "--levels=0-99999999999"),
                                  ("lottery", "--replicates=1-100000000", "--training_steps=1it")])
def test_huge_ranges_are_one_error_line(argv, tmp_path):
    proc = run_main(*argv, f"--root={tmp_path}", "--threads=1", check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "names more than" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_empty_root_is_refused_not_read_as_the_default():
    proc = run_main("train", "--root=", "--training_steps=1it", "--threads=1", check=False)
    assert proc.returncode == 2 and proc.stderr == "error: --root: empty value; leave the flag out (or give none) " \
                                                   "for its default\n"


def test_a_huge_echoed_value_is_cut_in_the_error_line(tmp_path):
    proc = run_main("train", "--model_name=" + "x" * 100_000, f"--root={tmp_path}", "--threads=1", check=False)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) < 1000
    assert "(100,000 characters)" in lines[0]


@pytest.mark.parametrize("name,kind", [("mask.pt", "mask file"), ("weights_start.pt", "weights file"),
                                       ("model.pt", "torch file")])
def test_an_unreadable_torch_file_is_named_by_its_kind(tmp_path, name, kind):
    (tmp_path / name).write_bytes(b"not a torch file")
    with pytest.raises(UsageError, match=f"corrupt {kind} "):
        fio.load_torch(tmp_path / name)


SECOND_INTERRUPT = """
import sparselab.main as m
def interrupted_while_reporting(argv=None, raising=False):
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise KeyboardInterrupt  # the second Ctrl-C, landing inside main's own handler
m.main = interrupted_while_reporting
m.console()
"""


def test_a_second_interrupt_while_the_first_is_reported_still_exits_130():
    """Issue 26, class 6: neither a traceback nor death by SIGINT (exit -2)."""
    import subprocess
    import sys

    from helpers import ROOT, env

    proc = subprocess.run([sys.executable, "-c", SECOND_INTERRUPT], capture_output=True, text=True, env=env(),
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 130 and proc.stderr == "interrupted; rerun the same command to resume\n", proc.stderr


def test_report_output_into_a_missing_folder_is_refused_and_not_created(tmp_path):
    target = tmp_path / "nonexistent" / "dir" / "x.csv"
    run_main("train", f"--root={tmp_path}", "--training_steps=1it", "--threads=1")
    proc = run_main("report", "train", f"--root={tmp_path}", "--training_steps=1it", f"--csv={target}", check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("error: --csv ") and "does not exist" in proc.stderr
    assert not (tmp_path / "nonexistent").exists()
