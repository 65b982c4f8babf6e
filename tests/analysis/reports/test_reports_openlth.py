"""`report` reads an OpenLTH / SDD result tree (written here in their formats), next to a sparselab run."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

import reports_fakes as fakes
from sparselab.analysis.reports.command import ReportCommand
from sparselab.analysis.reports.openlth import is_openlth, read_hparams_log, read_logger

MD5 = "93bc65d66dfa64ffaf2a0ab105433a2c"
HPARAMS_LOG = """Dataset Hyperparameters
    * batch_size => 128
    * dataset_name => cifar10
Model Hyperparameters
    * batchnorm_init => uniform
    * model_init => kaiming_normal
    * model_name => cifar_resnet_20
Pruning Hyperparameters
    * pruning_fraction => 0.2
    * pruning_strategy => sparse_global
Training Hyperparameters
    * gamma => 0.1
    * lr => 0.1
    * milestone_steps => 80ep,120ep
    * momentum => 0.9
    * optimizer_name => sgd
    * training_steps => 160ep
    * weight_decay => 0.0001"""


def _mask(density: float) -> dict[str, torch.Tensor]:
    kept = round(100 * density)
    return {"fc.weight": torch.tensor([1] * kept + [0] * (100 - kept), dtype=torch.int32).reshape(10, 10)}


def openlth_tree(root: Path, finals: dict[int, list[float]], branch: str = "lottery_branch") -> Path:
    """lottery_<md5>/replicate_R/level_L/main with logger, mask.pth (and hparams.log at level 0)."""
    experiment = root / f"lottery_{MD5}"
    for replicate, accuracies in finals.items():
        for level, final in enumerate(accuracies):
            job = experiment / f"replicate_{replicate}" / f"level_{level}" / "main"
            job.mkdir(parents=True)
            lines = ["test_accuracy,0,0.1", "test_loss,0,2.3", f"test_accuracy,390,{final + 0.02}",
                     f"test_accuracy,780,{final}", f"test_loss,780,0.5", f"train_accuracy,780,0.99"]
            (job / "logger").write_text("\n".join(lines) + "\n")
            torch.save(_mask(0.8 ** level), job / "mask.pth")
            if level == 0:
                (job / "hparams.log").write_text(HPARAMS_LOG)
    if (experiment / "replicate_1" / "level_1").is_dir():
        branch_dir = experiment / "replicate_1" / "level_1" / f"{branch}_randomly_reinitialize_{'7b' * 16}"
        branch_dir.mkdir()
        (branch_dir / "logger").write_text("test_accuracy,780,0.5\n")
    return experiment


def test_logger_and_hparams_log_formats(tmp_path):
    tree = openlth_tree(tmp_path, {1: [0.9]})
    log = read_logger(tree / "replicate_1" / "level_0" / "main" / "logger")
    assert log["test_accuracy"] == [(0, 0.1), (390, 0.92), (780, 0.9)]
    record = read_hparams_log(tree / "replicate_1" / "level_0" / "main" / "hparams.log")
    assert record["training"]["milestone_steps"] == "80ep,120ep" and record["dataset"]["batch_size"] == 128
    assert record["pruning"]["pruning_fraction"] == 0.2
    assert is_openlth(tree) and not is_openlth(fakes.lottery(tmp_path, {1: [0.9]}))


@pytest.mark.parametrize("branch_prefix", ["lottery_branch", "branch"])  # OpenLTH and SDD branch folders
def test_report_reads_an_openlth_tree_next_to_a_sparselab_run(tmp_path, capsys, branch_prefix):
    tree = openlth_tree(tmp_path / "old", {1: [0.9, 0.91, 0.88], 2: [0.92, 0.9, 0.86]}, branch_prefix)
    new = fakes.lottery(tmp_path / "new", {1: [0.8, 0.81]})
    out = tmp_path / "both.csv"
    assert ReportCommand.main(["--compare", str(tree), str(new), "--csv", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "lottery (OpenLTH)" in printed and "mean ± std" in printed
    rows = [r for r in csv.DictReader(out.open()) if "(OpenLTH)" in r["experiment"]]
    main = {(int(r["replicate"]), int(r["level"])): r for r in rows if r["series"] == "main"}
    assert float(main[(2, 2)]["final_test_accuracy"]) == pytest.approx(0.86)
    assert float(main[(2, 2)]["best_test_accuracy"]) == pytest.approx(0.88)  # 0.86 + 0.02 at iteration 390
    assert main[(2, 2)]["best_iteration"] == "390"
    assert float(main[(1, 2)]["density"]) == pytest.approx(0.64)
    branch = [r for r in rows if r["series"] == "randomly_reinitialize"]
    assert [(r["level"], float(r["final_test_accuracy"]), float(r["trunk_density"])) for r in branch] == \
        [("1", 0.5, 0.8)]


def test_openlth_tree_plots_next_to_a_sparselab_run(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    tree = openlth_tree(tmp_path / "old", {1: [0.9, 0.91, 0.88]})
    new = fakes.lottery(tmp_path / "new", {1: [0.8, 0.81]})
    assert ReportCommand.main(["--compare", str(tree), str(new), "--plot", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")
