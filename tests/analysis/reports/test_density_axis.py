"""`report --density_of`: the counted tensors' density, OpenLTH's (every prunable weight tensor of the
model, ignored ones as kept) and all parameters; `auto` follows the count rule."""
from __future__ import annotations

import csv

import pytest
import torch

from sparselab import main
from sparselab.models import registry
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.report import density_report
from helpers import run_main


def test_density_model_counts_the_ignored_output_layer_as_kept():
    model = registry.build("lenet_300_100", (1, 28, 28), 10)
    mask = Mask({"fc_layers.0.weight": torch.zeros(300, 784), "fc_layers.1.weight": torch.ones(100, 300)})
    mask["fc_layers.0.weight"][:, :392] = 1  # half of the first layer kept; fc.weight not in the mask
    report = density_report(model, mask)
    counted_total = 300 * 784 + 100 * 300
    assert report["density"] == pytest.approx((392 * 300 + 30000) / counted_total)
    model_total = counted_total + 10 * 100  # OpenLTH's sparsity_report: every prunable tensor in the mask
    assert report["model_weights_total"] == model_total
    assert report["density_model"] == pytest.approx((392 * 300 + 30000 + 1000) / model_total)


def _run(root, *flags) -> str:
    argv = ["lottery", "--levels=2", "--training_steps=1ep", "--threads=1", "--quiet", f"--root={root}", *flags]
    assert main.main(argv) == 0
    assert main.main([*argv, "--print_path"]) == 0
    return str(next(root.glob("lottery_*")))


def _csv(experiment, out, *flags) -> list[dict[str, str]]:
    assert main.main(["report", "--path", experiment, "--csv", str(out), *flags]) == 0
    return list(csv.DictReader(out.open()))


@pytest.mark.parametrize("rule, auto", [("openlth", "density_model"), ("prunable", "density_counted")])
def test_auto_follows_the_count_rule_and_each_choice_is_honoured(tmp_path, rule, auto, capsys):
    experiment = _run(tmp_path / "runs", f"--pruning_count_rule={rule}")
    rows = {name: _csv(experiment, tmp_path / f"{name}.csv", *flags) for name, flags in
            {"auto": [], "counted": ["--density_of=counted"], "model": ["--density_of=model"],
             "parameters": ["--density_of=parameters"]}.items()}
    level2 = {name: next(r for r in table if r["level"] == "2") for name, table in rows.items()}
    counted, model = float(level2["counted"]["density_counted"]), float(level2["counted"]["density_model"])
    assert model > counted  # fc.weight (10 x 100, never pruned) counts as kept
    assert float(level2["counted"]["density"]) == counted
    assert float(level2["model"]["density"]) == model
    assert float(level2["parameters"]["density"]) == float(level2["parameters"]["density_all_parameters"])
    assert float(level2["auto"]["density"]) == float(level2["auto"][auto])
    assert float(level2["model"]["trunk_density"]) == model


def test_an_unknown_density_is_refused(tmp_path):
    proc = run_main("report", "--path", str(tmp_path), "--density_of=weights", check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("error: argument --density_of: invalid choice")
