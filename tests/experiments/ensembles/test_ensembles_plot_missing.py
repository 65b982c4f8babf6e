"""`evaluate_ensemble --plot` without matplotlib: one `error:` line, exit 2, before any work."""
from __future__ import annotations

import builtins

import pytest

from sparselab import main as cli


def test_plot_without_matplotlib_is_one_error_line(tmp_path, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.split(".")[0] == "matplotlib":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(SystemExit) as info:
        cli.main(["evaluate_ensemble", str(tmp_path), "--plot"])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == ["error: --plot needs matplotlib: pip install matplotlib"]
    assert captured.out == "" and list(tmp_path.iterdir()) == []
