"""A real digits lottery run, then `report` on it through main.py, as a user would."""
from __future__ import annotations

import json

import pytest

from helpers import run_main
from sparselab.analysis.reports.rows import read_csv


@pytest.mark.slow  # about 25 s on two busy cores
def test_report_on_a_real_lottery_run(tmp_path):
    root = tmp_path / "runs"
    run_main("lottery", "--levels=2", "--training_steps=2ep", "--root", str(root), "--quiet")
    (experiment,) = [p for p in root.iterdir() if p.name.startswith("lottery_")]
    csv_path, json_path, plot_path = tmp_path / "r.csv", tmp_path / "r.json", tmp_path / "r.png"
    args = ["report", "--path", str(experiment), "--csv", str(csv_path), "--json", str(json_path)]
    try:
        import matplotlib  # noqa: F401
        args += ["--plot", str(plot_path)]
    except ImportError:
        plot_path = None
    proc = run_main(*args, timeout=120)
    assert proc.returncode == 0
    rows = read_csv(csv_path)
    assert [r["level"] for r in rows] == [0, 1, 2]
    for row in rows:
        done = json.loads((experiment / "replicate_1" / f"level_{row['level']}" / "main" / "done.json").read_text())
        assert row["status"] == "done"
        assert row["final_test_accuracy"] == done["final_test_accuracy"]
        assert row["density"] == done["density"] == pytest.approx(0.8 ** row["level"])
        assert f"{100 * done['final_test_accuracy']:.2f}" in proc.stdout
    assert json.loads(json_path.read_text())["rows"] == rows
    if plot_path is not None:
        assert plot_path.stat().st_size > 10_000
    listing = run_main("list", "--root", str(root), timeout=120).stdout
    assert experiment.name in listing and "training_steps=2ep" in listing and " 3/3 " in listing
