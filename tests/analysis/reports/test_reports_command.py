"""`report` on the command line: flags, outputs, exit statuses, the `report <command> <flags>` form."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import reports_fakes as fakes
from sparselab.core.errors import UsageError
from helpers import run_main
from sparselab.analysis.reports.command import REPORT_COMMANDS, ReportCommand, run_directory
from sparselab.analysis.reports.rows import read_csv


def test_registry_shape():
    assert set(REPORT_COMMANDS) == {"report", "list", "verify"}
    for name, cls in REPORT_COMMANDS.items():
        assert cls.name == name and cls.description and callable(cls.main)


def test_report_path_writes_every_output(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    exp_dir = fakes.lottery(tmp_path, {1: [0.9, 0.8], 2: [0.92, 0.82]})
    out = tmp_path / "out"
    out.mkdir()  # report writes into existing folders only
    argv = ["--path", str(exp_dir), "--csv", str(out / "r.csv"), "--json", str(out / "r.json"),
            "--plot", str(out / "p.png"), "--curves", str(out / "c.png"), "--labels", "mine"]
    assert ReportCommand.main(argv) == 0
    text = capsys.readouterr().out
    assert "== mine: lottery_0123456789abcdef (2 replicates) ==" in text
    assert "mean ± std over replicates" in text
    rows = read_csv(out / "r.csv")
    assert [r["final_test_accuracy"] for r in rows if r["replicate"] == 2] == [0.92, 0.82]
    assert json.loads((out / "r.json").read_text())["rows"] == rows
    assert (out / "p.png").stat().st_size > 0 and (out / "c.png").stat().st_size > 0
    assert f"wrote {out / 'p.png'}" in text


def test_compare_is_several_paths(tmp_path, capsys):
    a = fakes.lottery(tmp_path, {1: [0.9]}, name="lottery_aaaaaaaaaaaaaaaa")
    b = fakes.lottery(tmp_path, {1: [0.8]}, name="lottery_bbbbbbbbbbbbbbbb",
                      hparams=fakes.record(pruning_fraction=0.5))
    assert ReportCommand.main(["--compare", str(a), str(b), "--csv", str(tmp_path / "c.csv")]) == 0
    text = capsys.readouterr().out
    assert "== lottery pruning_fraction=0.2: lottery_aaaaaaaaaaaaaaaa" in text
    assert "== lottery pruning_fraction=0.5: lottery_bbbbbbbbbbbbbbbb" in text
    assert [r["experiment"] for r in read_csv(tmp_path / "c.csv")] == ["lottery pruning_fraction=0.2",
                                                                      "lottery pruning_fraction=0.5"]


def test_usage_errors(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.9]})
    with pytest.raises(UsageError, match="give --path DIR"):
        ReportCommand.main([])
    with pytest.raises(UsageError, match="--labels 'a,b': give 1"):
        ReportCommand.main(["--path", str(exp_dir), "--labels", "a,b"])
    with pytest.raises(UsageError, match="--metric 'nope'"):
        ReportCommand.main(["--path", str(exp_dir), "--metric", "nope"])
    with pytest.raises(UsageError, match="unknown command 'nope'"):
        ReportCommand.main(["nope"])
    with pytest.raises(UsageError, match="unrecognized arguments: --bogus"):
        ReportCommand.main(["--path", str(exp_dir), "--bogus"])
    nothing = tmp_path / "lottery_ffffffffffffffff" / "replicate_1" / "level_0" / "main"
    nothing.mkdir(parents=True)
    with pytest.raises(UsageError, match="nothing to report yet"):
        ReportCommand.main(["--path", str(nothing.parents[2])])


def test_exit_statuses_through_main(tmp_path):
    exp_dir = fakes.lottery(tmp_path, {1: [0.9, 0.8, 0.7]})
    shutil.rmtree(exp_dir / "replicate_1" / "level_1")
    proc = run_main("report", "--path", str(exp_dir), timeout=120)
    assert proc.returncode == 0
    assert "replicate 1: missing level(s) 1;" in proc.stdout
    (tmp_path / "empty").mkdir()
    proc = run_main("report", "--path", str(tmp_path / "empty"), check=False, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "holds no experiment" in proc.stderr
    proc = run_main("list", "--root", str(tmp_path), timeout=120)
    assert "lottery_0123456789abcdef" in proc.stdout


def test_report_command_form_finds_the_run(tmp_path, capsys):
    from sparselab import main

    main.runners()  # main.py publishes its command table; report reads it (no runner imported by reports)
    flags = ["--root", str(tmp_path), "--levels=2", "--pruning_fraction=0.5"]
    with pytest.raises(UsageError, match="no results for this lottery run"):
        run_directory("lottery", flags)
    # build the folder the runner would use and fill it with fake results
    from sparselab.experiments.lottery.runner import TRUNK_RUNNERS
    from sparselab.core.cli import OneLineParser
    from sparselab.train.presets import resolve_preset

    preset = resolve_preset(None)
    parser = OneLineParser()
    TRUNK_RUNNERS["lottery"].add_args(parser, preset)
    runner = TRUNK_RUNNERS["lottery"].from_args(parser.parse_args(flags), preset)
    experiment = runner.experiment_folder(tmp_path)
    fakes.lottery(tmp_path, {1: [0.9, 0.8], 3: [0.7]}, name=experiment.name)
    found, args = run_directory("lottery", flags + ["--csv", str(tmp_path / "x.csv")])
    assert found == experiment and args.csv == str(tmp_path / "x.csv")
    assert ReportCommand.main(["lottery", *flags, "--replicate=3"]) == 0  # every replicate, whatever --replicate
    text = capsys.readouterr().out
    assert f"{experiment.name} (2 replicates)" in text and "replicate 3: missing level(s) 1;" in text


def _fake_run(root, flags):
    """Fake finished results in the folder `lottery <flags>` names under `root`."""
    from sparselab.core.cli import OneLineParser
    from sparselab.experiments.lottery.runner import TRUNK_RUNNERS
    from sparselab.train.presets import resolve_preset

    preset = resolve_preset(None)
    parser = OneLineParser()
    TRUNK_RUNNERS["lottery"].add_args(parser, preset)
    experiment = TRUNK_RUNNERS["lottery"].from_args(parser.parse_args(flags), preset).experiment_folder(root)
    fakes.lottery(root, {1: [0.9, 0.8]}, name=experiment.name)
    return experiment


def test_report_command_form_without_root(tmp_path, monkeypatch, capsys):
    """No --root: ./runs, else $SPARSELAB_ROOT, as for the run itself (it crashed on args.root)."""
    import sparselab
    from sparselab import main

    main.runners()
    flags = ["--levels=2", "--pruning_strategy=random"]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPARSELAB_ROOT", raising=False)
    experiment = _fake_run(tmp_path / "runs", flags)
    assert run_directory("lottery", flags)[0] == Path("runs") / experiment.name
    assert ReportCommand.main(["lottery", *flags]) == 0
    assert experiment.name in capsys.readouterr().out
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("SPARSELAB_ROOT", str(elsewhere))
    moved = _fake_run(elsewhere, flags)
    assert run_directory("lottery", flags)[0] == moved
    rows = sparselab.report("lottery", levels=2, pruning_strategy="random")
    assert rows and all(str(moved) in r["directory"] for r in rows)


def test_report_of_a_sweep_one_column_per_swept_field(tmp_path, capsys):
    """`report <command> <flags> --sweep ...` reports every grid point (it said 'does not exist'), each
    named by its values only, with one CSV column per swept field."""
    from sparselab import main

    flags = ["lottery", "--levels=1", "--training_steps=2it", "--quiet", "--root", str(tmp_path),
             "--sweep", "pruning_fraction=0.5,0.8", "--sweep", "lr=0.1,0.05"]
    assert main.main([*flags, "--threads=1"]) == 0
    csv_path = tmp_path / "sweep.csv"
    report_flags = [f for f in flags if f != "--quiet"]
    assert ReportCommand.main([*report_flags, "--replicates=1", "--csv", str(csv_path)]) == 0
    text = capsys.readouterr().out
    assert "== pruning_fraction=0.8 lr=0.05: lottery_" in text
    table = read_csv(csv_path)
    assert list(table[0])[:4] == ["experiment", "pruning_fraction", "lr", "command"]
    assert sorted({(r["pruning_fraction"], r["lr"]) for r in table}) == [(0.5, 0.05), (0.5, 0.1), (0.8, 0.05), (0.8, 0.1)]
    summary = read_csv(tmp_path / "sweep_summary.csv")
    assert all(r["n"] == 1 for r in summary) and "lr" in summary[0]
