"""`train --ensemble=edst|dst|pf` on digits and `evaluate_ensemble` on the results."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparselab import main as cli
from sparselab.experiments.ensembles.runner import phases
from sparselab.experiments.ensembles.hparams import EnsembleHparams
from helpers import run_main
from sparselab.sparsity.dst.history import read_topology
from sparselab.sparsity import dst as dynamic
from sparselab.sparsity.mask import Mask

COMMON = ["--threads=1", "--quiet", "--init_density=0.2", "--dst_update_frequency=5"]
EDST = [*COMMON, "--ensemble=edst", "--ensemble_members=2", "--dst=rigl", "--exploration_steps=1ep",
        "--refine_steps=1ep", "--dst_drop_schedule=constant"]


def job_dir(root: Path, *flags: str) -> Path:
    return Path(run_main("train", f"--root={root}", "--print_path", *flags).stdout.strip())


def test_edst_phases_and_learning_rates():
    from sparselab.train.hparams import TrainingHparams
    from sparselab.train.optimizers import LearningRateSchedule

    plan = phases(TrainingHparams(lr=0.1, training_steps="90it"), EnsembleHparams(ensemble="edst", ensemble_members=3),
                  iterations_per_epoch=10)
    assert [(p.name, p.start, p.end) for p in plan] == [("explore", 0, 30), ("member_1", 30, 50),
                                                         ("member_2", 50, 70), ("member_3", 70, 90)]
    assert [p.forced for p in plan] == [(), (), ((50, 0.8),), ((70, 0.8),)]
    lr = {p.name: LearningRateSchedule(p.training, 10) for p in plan}
    assert lr["explore"](0) == lr["explore"](29) == 0.1
    assert lr["member_2"](50) == pytest.approx(0.01) and lr["member_2"](59) == pytest.approx(0.01)
    assert lr["member_2"](60) == pytest.approx(0.001) and lr["member_2"](69) == pytest.approx(0.001)


def test_edst_ensemble_of_free_tickets_then_evaluate(tmp_path):
    run_main("train", f"--root={tmp_path}", *EDST)
    d = job_dir(tmp_path, *EDST)
    done = json.loads((d / "done.json").read_text())
    assert done["members"] == ["member_1", "member_2"] and len(done["member_test_accuracy"]) == 2
    start = Mask.load(d)
    masks = [dynamic.load_final_mask(d / m) for m in done["members"]]
    assert not any(Mask.exists(d / m) for m in done["members"])  # mask.pt is only ever a start mask
    for m in masks:
        assert m.num_kept == start.num_kept and (d / "member_1" / "weights_final.pt").exists()
    assert not masks[0].equals(masks[1])
    first = read_topology(d / "member_2" / "topology.csv")[0]
    ipe = 23  # digits: 1438 training images, batch 64
    assert first["iteration"] == 2 * ipe and first["drop_fraction"] == 0.8
    assert done["ensemble_test_accuracy"] > 0.5  # 3 short epochs at density 0.2

    out = run_main("evaluate_ensemble", str(d), "--plot", "--threads=1")
    assert "ensemble (mean softmax)" in out.stdout and "member_2" in out.stdout
    report = json.loads((d / "ensemble_evaluation.json").read_text())
    assert [m["name"] for m in report["members"]] == ["member_1", "member_2"]
    assert report["ensemble"]["accuracy"] == pytest.approx(done["ensemble_test_accuracy"])
    assert len(report["disagreement"]) == 2 and report["bins"] == 15
    assert (d / "ensemble_disagreement.png").stat().st_size > 0 and (d / "ensemble_reliability.png").exists()
    by_command = run_main("evaluate_ensemble", "train", f"--root={tmp_path}", *EDST,
                          f"--json={tmp_path / 'e.json'}")
    assert json.loads((tmp_path / "e.json").read_text())["ensemble"] == report["ensemble"]
    assert "wrote" in by_command.stdout


@pytest.mark.slow  # multi-process or many jobs: the default run stays under 10 minutes on 2 cores
def test_dst_and_pf_ensembles_are_one_job_per_member(tmp_path):
    dst_flags = ["--threads=1", "--quiet", "--training_steps=1ep", "--ensemble=dst", "--ensemble_members=2",
                 "--init_density=0.2", "--dst=set", "--dst_update_frequency=5"]
    pf_flags = ["--threads=1", "--quiet", "--training_steps=1ep", "--ensemble=pf", "--ensemble_members=2",
                "--pf_finetune_steps=1ep", "--pf_density=0.3"]
    for flags in (dst_flags, pf_flags):
        run_main("train", f"--root={tmp_path}", *flags)
    d = job_dir(tmp_path, *dst_flags)
    done = json.loads((d / "done.json").read_text())
    members = [(d / rel).resolve() for rel in done["members"]]
    # member i of replicate 1 is the plain train job of the same flags at replicate i
    plain = [f for f in dst_flags if not f.startswith(("--ensemble", "--quiet"))]
    assert members == [job_dir(tmp_path, *plain, f"--replicate={r}").resolve() for r in (1, 2)]
    assert all((m / "topology.csv").exists() for m in members)
    pf = job_dir(tmp_path, *pf_flags)
    pf_done = json.loads((pf / "done.json").read_text())
    assert pf_done["members"] == ["member_1", "member_2"]
    for rel in pf_done["members"]:
        mask = Mask.load(pf / rel)
        assert mask.num_kept == round(0.3 * mask.num_total)
    dense = job_dir(tmp_path, "--threads=1", "--training_steps=1ep", "--replicate=2")
    assert (dense / "done.json").exists()
    both = run_main("evaluate_ensemble", str(members[0]), str(members[1]), f"--json={tmp_path / 'two.json'}")
    assert "ensemble (mean softmax)" in both.stdout


@pytest.mark.parametrize("flags, fragment", [
    (["--ensemble=edst", "--ensemble_members=1", "--dst=rigl", "--init_density=0.2"],
     "--ensemble_members must be >= 2"),
    (["--ensemble=edst", "--init_density=0.2"], "needs --dst"),
    (["--ensemble=edst", "--dst=rigl"], "sparse start"),
    (["--ensemble=dst", "--init_density=0.2"], "needs --dst"),
    (["--ensemble=pf", "--init_density=0.2"], "dense members"),
    (["--ensemble=bagging"], "choose from edst, dst, pf"),
    (["--ensemble=edst", "--dst=rigl", "--init_density=0.2", "--global_explore_fraction=1.2"],
     "--global_explore_fraction"),
])
def test_bad_ensemble_flags_are_one_line_exit_2(tmp_path, capsys, flags, fragment):
    with pytest.raises(SystemExit) as info:
        cli.main(["train", f"--root={tmp_path}", *flags])
    assert info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_evaluate_ensemble_bad_input(tmp_path, capsys):
    for argv, fragment in ((["evaluate_ensemble"], "give job directories"),
                           (["evaluate_ensemble", str(tmp_path / "missing")], "no such job directory"),
                           (["evaluate_ensemble", str(tmp_path)], "neither an ensemble job")):
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        assert info.value.code == 2
        assert fragment in capsys.readouterr().err
