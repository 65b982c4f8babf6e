"""The README's Python API example, run as written in an empty folder (its `runs/` is a tmp root)."""
from __future__ import annotations

import re

from helpers import ROOT

MARKER = "<!-- python-api-example:"


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    after = text.split(MARKER, 1)[1]
    match = re.search(r"```python\n(.*?)```", after, re.S)
    assert match and after.index("```python") < after.index("\n\n"), "the example must follow the marker"
    return match.group(1)


def test_readme_python_api_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPARSELAB_ROOT", raising=False)
    exec(compile(readme_example(), "README.md:python-api-example", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "refused: --lr must be positive, got -1.0" in out
    assert "Mask(2 tensors, density=0.640000)" in out and "'input_shape': [1, 8, 8]" in out
    (replicate,) = (tmp_path / "runs").glob("lottery_*/replicate_1")
    assert sorted(p.name for p in replicate.iterdir()) == ["level_0", "level_1", "level_2"]
