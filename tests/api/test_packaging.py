"""pyproject.toml: the console script, the package list, the dependencies; README set-up = CI; a real install."""
from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from helpers import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# top-level module imported by sparselab -> the distribution that provides it
DISTRIBUTIONS = {"torch": "torch", "numpy": "numpy", "filelock": "filelock", "sklearn": "scikit-learn",
                 "scipy": "scipy", "PIL": "pillow", "matplotlib": "matplotlib", "submitit": "submitit",
                 "tensorboard": "tensorboard", "wandb": "wandb"}


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_console_script_is_the_command_line():
    target = PYPROJECT["project"]["scripts"]["sparselab"]
    module, function = target.split(":")
    from sparselab.main import console

    assert getattr(importlib.import_module(module), function) is console


def test_every_folder_of_the_package_is_installed():
    from setuptools import find_packages

    found = set(find_packages(str(ROOT), **PYPROJECT["tool"]["setuptools"]["packages"]["find"]))
    with_code = {".".join(p.relative_to(ROOT).parts) for p in (ROOT / "sparselab").rglob("*")
                 if p.is_dir() and any(p.glob("*.py"))} | {"sparselab"}
    assert found == with_code
    data = {p.suffix for p in (ROOT / "sparselab").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert data <= {".py", ".md"} and PYPROJECT["tool"]["setuptools"]["package-data"]["*"] == ["*.md"]


def imported_modules() -> set[str]:
    names = set()
    for path in (ROOT / "sparselab").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "find_spec" and node.args \
                    and isinstance(node.args[0], ast.Constant):
                names.add(str(node.args[0].value).split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("sparselab", "__future__")}


def test_every_third_party_import_is_a_declared_dependency():
    project = PYPROJECT["project"]
    declared = requirement_names(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared |= requirement_names(extra)
    unknown = imported_modules() - set(DISTRIBUTIONS)
    assert unknown == set(), f"add these imports to DISTRIBUTIONS and pyproject.toml: {unknown}"
    assert {DISTRIBUTIONS[m] for m in imported_modules()} <= declared
    assert "torch==2.13.0" in project["dependencies"]
    assert {"plot", "tensorboard", "wandb", "slurm", "dev"} <= set(project["optional-dependencies"])


def test_readme_setup_commands_and_ci_agree():
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip() for line in setup.splitlines() if line.startswith("    ")]
    assert commands == ["pip install -e . && sparselab lottery --pruning_strategy=random --levels=30",
                        "pip install -e '.[dev]' && python -m pytest -q"]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith(("#", "set ", "cd "))]
    assert ci == [commands[1]]
    for name in ("requirements.txt", "requirements-dev.txt"):  # one dependency list: pyproject.toml
        lines = [line for line in (ROOT / name).read_text().splitlines() if line and not line.startswith("#")]
        assert lines == (["torch==2.13.0", "-e ."] if name == "requirements.txt" else ["-e .[dev]"])
    assert '"torch==2.13.0"' in (ROOT / "pyproject.toml").read_text()  # the same pin in both places
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) 2026 the sparselab authors")


@pytest.mark.slow
def test_fresh_venv_install_runs_the_console_script_and_loads_the_job(tmp_path):
    """pip install . into a new venv (torch from the system site), then run from outside the checkout."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv), "--system-site-packages"], check=True)
    python, script = venv / "bin" / "python", venv / "bin" / "sparselab"
    e = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(ROOT)], check=True, env=e, timeout=900)
    root = tmp_path / "runs"
    proc = subprocess.run([str(script), "lottery", "--levels=1", "--training_steps=2it", f"--root={root}", "--quiet"],
                          capture_output=True, text=True, env=e, cwd=tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stderr
    (replicate,) = root.glob("lottery_*/replicate_1")
    code = ("import sparselab, sys; j = sparselab.load_job(sys.argv[1]); print(j.model, j.mask); "
            "print(sparselab.__file__)")
    shown = subprocess.run([str(python), "-c", code, str(replicate)], capture_output=True, text=True, env=e,
                           cwd=tmp_path, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert "Mask(2 tensors, density=0.800000)" in shown.stdout and str(venv) in shown.stdout
