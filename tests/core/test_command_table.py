"""The lazy command table: the bare menu imports no command module and no torch; every entry loads the
command it names, whose own description starts with the menu's line."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sparselab import main
from sparselab.core.command import CommandTable, Entry, published

ROOT = Path(__file__).resolve().parents[2]
MENU = """
import sys
from sparselab.main import main
status = main({argv})
loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith(("sparselab.experiments.lottery", "sparselab.train",
                                                                       "sparselab.experiments.ensembles", "sparselab.analysis.reports")))
assert not loaded, loaded
sys.exit(status)
"""


def _menu(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", MENU.format(argv=argv)], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}, timeout=120)


def test_bare_menu_imports_neither_torch_nor_a_command() -> None:
    for argv in ([], ["--help"]):
        done = _menu(argv)
        assert done.returncode == 0, done.stderr
        assert "commands:" in done.stdout and "  lottery_branch " in done.stdout and "  export " in done.stdout


def test_main_py_alone_lists_the_commands() -> None:
    done = subprocess.run([sys.executable, "main.py"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0 and "usage: python main.py <command>" in done.stdout, done.stderr


def test_every_entry_loads_its_command_and_matches_its_line() -> None:
    table = main.runners()
    assert list(table) == [e.name for e in main.COMMANDS] and len(set(table)) == len(main.COMMANDS)
    for name in table:
        command = table[name]
        assert command.name == name
        assert command.description.startswith(table.descriptions()[name]), (name, command.description)
    assert set(published()) == set(table)


def test_an_entry_is_imported_only_when_looked_up() -> None:
    table = CommandTable([Entry("toy", "a toy", "sparselab.no_such_module:X")])
    assert "toy" in table and table.descriptions() == {"toy": "a toy"}  # no import yet
    try:
        table["toy"]
    except ModuleNotFoundError as e:
        assert "sparselab.no_such_module" in str(e)
    else:
        raise AssertionError("the entry's module was not imported at lookup")
