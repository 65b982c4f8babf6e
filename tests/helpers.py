"""Running main.py in a subprocess, as a user would, or in this process with its output captured."""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT)
    e.setdefault("OMP_NUM_THREADS", "1")
    return e


def run_main(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          env=env(), timeout=timeout, cwd=ROOT)
    if check and proc.returncode != 0:
        raise AssertionError(f"main.py {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def start_main(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env(), cwd=ROOT)


def call_main(argv: list[str]) -> tuple[int, str, str]:
    """main.main(argv) in this process: (exit status, stdout, stderr)."""
    from sparselab import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main.main(argv)
        except SystemExit as e:
            status = int(e.code or 0)
    return status, out.getvalue(), err.getvalue()


def absent_flags(bundle: object) -> set[str]:
    """The fields of a bundle (or bundle class, at its defaults) whose flags do not exist under its values."""
    import dataclasses

    from sparselab.core.when import unchosen

    cls = bundle if isinstance(bundle, type) else type(bundle)
    values = {f.name: getattr(bundle, f.name, f.default) for f in dataclasses.fields(cls)}
    return unchosen(cls, values.get)
