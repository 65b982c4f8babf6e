"""An OpenLTH tree (written in OpenLTH's own file layout) read by every reader: `sparselab.report`, `list`,
`verify` and `load_job`, as the command-line `report` already did."""
from __future__ import annotations

import pytest
import torch

import openlth_fixture as fixture
import sparselab
from sparselab.analysis.reports.command import ListCommand
from sparselab.analysis.reports.verify import VerifyCommand

FINALS = {1: [0.95, 0.96], 2: [0.94, 0.93]}


@pytest.fixture
def tree(tmp_path):
    return fixture.write_tree(tmp_path / "old", FINALS)


def test_api_report_reads_accuracies_of_an_openlth_tree(tree):
    rows = [r for r in sparselab.report(tree) if r["series"] == "main"]
    by_key = {(r["replicate"], r["level"]): r for r in rows}
    assert set(by_key) == {(1, 0), (1, 1), (2, 0), (2, 1)}
    assert by_key[(2, 1)]["status"] == "done"
    assert by_key[(2, 1)]["final_test_accuracy"] == pytest.approx(0.93)
    assert by_key[(1, 1)]["best_test_accuracy"] == pytest.approx(0.96)
    assert by_key[(1, 0)]["density"] == pytest.approx(1.0)
    assert 0.8 < by_key[(1, 1)]["density"] < 0.85  # 20 % of the hidden weights pruned, the output layer kept


def test_list_counts_finished_openlth_jobs(tree, capsys):
    assert ListCommand.main(["--root", str(tree.parent)]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if tree.name in l)
    assert " 4/4 " in line and "lottery" in line


def test_verify_counts_openlth_jobs_as_a_foreign_format(tree, capsys):
    assert VerifyCommand.main(["--root", str(tree.parent)]) == 0
    out = capsys.readouterr().out
    assert "checked 4 job(s)" in out and "4 in OpenLTH's format" in out and "0 damaged" in out


def test_load_job_loads_the_last_finished_openlth_level(tree):
    job = sparselab.load_job(tree / "replicate_1")
    assert job.path == tree / "replicate_1" / "level_1" / "main"
    end = fixture.EPOCHS * fixture.ITERATIONS_PER_EPOCH
    saved = torch.load(job.path / f"model_ep{fixture.EPOCHS}_it0.pth")
    state = job.model.state_dict()
    assert all(torch.equal(state[name], saved[name]) for name in fixture.SHAPES)
    assert job.mask is not None and not job.mask["fc_layers.0.weight"].all() and job.mask["fc.weight"].all()
    assert job.result["final_test_accuracy"] == pytest.approx(0.96)
    assert job.metrics[-1] == {"iteration": end, "test_loss": 0.3, "test_accuracy": 0.96, "test_examples": 10000.0}
    assert job.hparams["model"]["model_name"] == fixture.MODEL
    out = job.model(torch.zeros(2, 1, 28, 28))
    assert out.shape == (2, 10)
    level0 = sparselab.load_job(tree / "replicate_2", level=0)
    assert level0.mask is not None and level0.mask.density == 1.0


def test_curves_of_an_openlth_tree_come_from_its_loggers(tree):
    from sparselab.analysis.reports.jobs import read_curve

    rows = read_curve(tree / "replicate_2" / "level_1" / "main")
    end = fixture.EPOCHS * fixture.ITERATIONS_PER_EPOCH
    assert [(r["iteration"], r["test_accuracy"]) for r in rows] == [(0, 0.1), (end // 2, 0.92), (end, 0.93)]


def test_a_replicate_folder_of_an_openlth_tree_stands_for_that_replicate(tree):
    rows = sparselab.report(tree / "replicate_2")
    assert {(r["replicate"], r["level"], r["status"]) for r in rows} == {(2, 0, "done"), (2, 1, "done")}
    assert [r["final_test_accuracy"] for r in sparselab.report(tree / "replicate_2" / "level_1" / "main")
            if r["level"] == 1] == [pytest.approx(0.93)]
