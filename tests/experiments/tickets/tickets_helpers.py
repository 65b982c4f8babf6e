"""Running a command in this process (quicker than a subprocess) and finding its job directories."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

from sparselab import main


def call(*argv: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of main.main(argv)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main.main(list(argv))
        except SystemExit as e:
            status = int(e.code or 0)
    return status, out.getvalue(), err.getvalue()


def only(root: Path, pattern: str) -> Path:
    found = sorted(root.glob(pattern))
    assert len(found) == 1, found
    return found[0]
