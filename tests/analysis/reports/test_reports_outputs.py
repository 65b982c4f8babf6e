"""Tidy CSV (integer replicate/level) and its summary file, stdout outputs, tables that fit the
terminal, per-layer densities and multiply-adds."""
from __future__ import annotations

import csv
import io
import json

import pytest
import torch

import reports_fakes as fakes
from sparselab.core.errors import UsageError
from sparselab.core import table as text
from sparselab.analysis.reports.command import ReportCommand


@pytest.fixture
def experiment(tmp_path):
    return fakes.lottery(tmp_path, {1: [0.9, 0.92, 0.91], 2: [0.92, 0.93, 0.9]})


def _report(capsys, *argv):
    assert ReportCommand.main([str(a) for a in argv]) == 0
    return capsys.readouterr()


def test_tidy_csv_and_summary_file(experiment, tmp_path, capsys):
    out = tmp_path / "r.csv"
    printed = _report(capsys, "--path", experiment, "--csv", out).out
    assert f"wrote {out}" in printed and f"wrote {tmp_path / 'r_summary.csv'}" in printed
    rows = list(csv.DictReader(out.open()))
    assert [(r["replicate"], r["level"]) for r in rows] == [(str(rep), str(lv)) for rep in (1, 2) for lv in range(3)]
    assert all(r["replicate"].isdigit() for r in rows)  # what lets pandas read it as int64
    summary = list(csv.DictReader((tmp_path / "r_summary.csv").open()))
    assert "replicate" not in summary[0]
    assert [(s["level"], s["n"]) for s in summary] == [("0", "2"), ("1", "2"), ("2", "2")]
    assert float(summary[1]["final_test_accuracy"]) == pytest.approx(0.925)


def test_pandas_reads_the_replicate_column_as_int(experiment, tmp_path, capsys):
    pandas = pytest.importorskip("pandas")
    _report(capsys, "--path", experiment, "--csv", tmp_path / "r.csv")
    frame = pandas.read_csv(tmp_path / "r.csv")
    assert str(frame["replicate"].dtype) == "int64" and str(frame["level"].dtype) == "int64"


@pytest.mark.parametrize("flag, parse", [
    ("--csv", lambda s: list(csv.DictReader(io.StringIO(s)))),
    ("--json", lambda s: json.loads(s)["rows"]),
    ("--summary_csv", lambda s: list(csv.DictReader(io.StringIO(s)))),
])
def test_dash_writes_to_stdout_and_nothing_else(experiment, tmp_path, capsys, monkeypatch, flag, parse):
    monkeypatch.chdir(tmp_path)
    captured = _report(capsys, "--path", experiment, flag, "-")
    rows = parse(captured.out)  # stdout is only the data: no table, no "wrote"
    assert len(rows) == (3 if flag == "--summary_csv" else 6)
    assert not (tmp_path / "-").exists()


def test_two_outputs_to_stdout_are_refused(experiment, capsys):
    with pytest.raises(UsageError, match="only one output can go to stdout"):
        ReportCommand.main(["--path", str(experiment), "--csv", "-", "--json", "-"])
    assert capsys.readouterr().out == ""


def _many_branches(tmp_path):
    experiment = fakes.lottery(tmp_path, {1: [0.9, 0.92, 0.91]})
    for i in range(6):
        fakes.branch(experiment / "replicate_1" / "level_1", "retrain", f"{i:08x}", fakes.level_done(1, 0.8, 0.8),
                     branch_hparams={"training": {"lr": 0.01 * (i + 1)}})
    return experiment


@pytest.mark.parametrize("columns, wide", [("80", False), ("120", False), ("80", True)])
def test_tables_fit_the_terminal_unless_wide(tmp_path, capsys, monkeypatch, columns, wide):
    monkeypatch.setenv("COLUMNS", columns)
    printed = _report(capsys, "--path", _many_branches(tmp_path), *(["--wide"] if wide else [])).out
    tables = [line for line in printed.splitlines() if not line.startswith(("/", "=="))]  # not the path line
    longest = max(len(line) for line in tables)
    if wide:
        assert longest > 200
    else:
        assert longest <= int(columns)
    assert printed.count("80.00 (@30)") == 6  # every branch's accuracy is still shown
    text.set_width(0)


def test_layers_and_multiply_adds(tmp_path, capsys):
    record = fakes.record(model_name="lenet_10", dataset_name="digits")
    experiment = fakes.lottery(tmp_path, {1: [0.9, 0.8]}, hparams=record)
    level_1 = experiment / "replicate_1" / "level_1" / "main"
    mask = {"fc_layers.0.weight": torch.zeros(10, 64, dtype=torch.bool)}
    mask["fc_layers.0.weight"][:, :16] = True  # 160 of 640 kept; fc (10x10) dense
    torch.save(mask, level_1 / "mask.pt")
    (level_1 / "sparsity_report.json").write_text(json.dumps(
        {"tensors": {"fc_layers.0.weight": {"density": 0.25, "kept": 160, "total": 640}}}))
    printed = _report(capsys, "--path", experiment, "--layers", "--csv", tmp_path / "r.csv").out
    assert "fc_layers.0.weight" in printed and "0.25" in printed
    rows = {int(r["level"]): r for r in csv.DictReader((tmp_path / "r.csv").open())}
    assert (rows[1]["multiply_adds_dense"], rows[1]["multiply_adds_sparse"]) == (str(640 + 100), str(160 + 100))
    assert (rows[0]["multiply_adds_dense"], rows[0]["multiply_adds_sparse"]) == ("740", "740")  # no mask: dense
