"""Loggers: W&B one run per job grouped by experiment (project/entity/group flags, the level a config
field, the same id on resume); TensorBoard HParams and hierarchical tags; --tensorboard on a finished
job says how to backfill."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from helpers import ROOT, call_main, env
from sparselab.core import layout
from sparselab.train import loggers

from test_wandb import fake_wandb  # noqa: F401  (the fixture)

TINY = ["--levels=1", "--training_steps=2it", "--quiet"]


def test_wandb_one_run_per_job_grouped_by_experiment(tmp_path, fake_wandb):  # noqa: F811
    flags = [f"--root={tmp_path}", *TINY, "--loggers=wandb", "--wandb_project=proj", "--wandb_entity=team"]
    status, _, err = call_main(["lottery", *flags])
    assert status == 0, err
    runs = fake_wandb.runs
    (experiment,) = tmp_path.glob("lottery_*")
    assert len(runs) == 2  # level 0 and level 1: one run per job
    assert {r.init["group"] for r in runs} == {experiment.name}
    assert {r.init["project"] for r in runs} == {"proj"} and {r.init["entity"] for r in runs} == {"team"}
    assert sorted(r.init["config"]["level"] for r in runs) == ["level_0", "level_1"]
    assert {r.init["config"]["replicate"] for r in runs} == {1}
    jobs = [experiment / "replicate_1" / f"level_{lv}" / "main" for lv in (0, 1)]
    assert sorted(r.init["id"] for r in runs) == sorted(loggers.run_id(j) for j in jobs)
    assert all(r.init["resume"] == "allow" for r in runs)
    assert all(r.finished for r in runs)


def test_wandb_group_flag_and_stable_id(tmp_path, fake_wandb):  # noqa: F811
    status, _, err = call_main(["train", f"--root={tmp_path}", "--training_steps=2it", "--quiet", "--loggers=wandb",
                                "--wandb_group=ablation"])
    assert status == 0, err
    (run,) = fake_wandb.runs
    (job,) = tmp_path.glob("train_*/replicate_1/main")
    assert run.init["group"] == "ablation" and run.init["project"] == "sparselab"
    assert run.init["id"] == loggers.run_id(job) == loggers.run_id(job / ".." / "main")
    assert loggers.run_id(job) != loggers.run_id(job.parent.parent / "replicate_2" / "main")


def test_wandb_flags_without_wandb_are_refused(tmp_path):
    status, _, err = call_main(["train", f"--root={tmp_path}", "--training_steps=2it", "--wandb_project=x"])
    assert status == 2 and err.count("error:") == 1 and "--loggers=wandb" in err
    assert not any(tmp_path.iterdir())


@pytest.mark.skipif(importlib.util.find_spec("wandb") is None, reason="wandb is not installed")
def test_wandb_offline_run_is_resumed_under_the_same_id(tmp_path):
    environment = {**env(), "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
    command = [sys.executable, str(ROOT / "main.py"), "train", f"--root={tmp_path}", "--training_steps=2it",
               "--loggers=wandb", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)
    assert done.returncode == 0, done.stderr
    (job,) = tmp_path.glob("train_*/replicate_1/main")
    (first,) = (job / layout.WANDB).glob("offline-run-*")
    assert first.name.endswith("-" + loggers.run_id(job))
    os.remove(job / layout.DONE)  # as if the job had been interrupted before its end: it runs again
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)
    assert done.returncode == 0, done.stderr
    assert {p.name.rsplit("-", 1)[1] for p in (job / layout.WANDB).glob("offline-run-*")} == \
        {loggers.run_id(job)}


def test_tags_are_hierarchical():
    assert [loggers.tag(c) for c in ("test_accuracy", "train_loss", "train_clean_accuracy", "lr", "density")] \
        == ["test/accuracy", "train/loss", "train/clean_accuracy", "run/lr", "run/density"]


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None, reason="tensorboard is not installed")
def test_tensorboard_hparams_visible_to_the_event_accumulator(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    status, _, err = call_main(["train", f"--root={tmp_path}", "--training_steps=2it", "--lr=0.05",
                                "--loggers=tensorboard", "--quiet"])
    assert status == 0, err
    (folder,) = tmp_path.glob(f"train_*/replicate_1/main/{layout.TENSORBOARD}")
    acc = EventAccumulator(str(folder))
    acc.Reload()
    assert "test/accuracy" in acc.Tags()["scalars"]
    content = acc.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    assert start.session_start_info.hparams["training/lr"].number_value == pytest.approx(0.05)
    assert start.session_start_info.hparams["training/optimizer_name"].string_value == "sgd"
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"])
    assert {m.name.tag for m in experiment.experiment.metric_infos} >= {"test/accuracy", "test/loss"}
    assert "_hparams_/session_end_info" in content


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None, reason="tensorboard is not installed")
def test_tensorboard_on_a_finished_job_says_how_to_backfill(tmp_path, monkeypatch):
    monkeypatch.setattr(loggers, "_NOTED", set())
    flags = ["train", f"--root={tmp_path}", "--training_steps=2it"]
    assert call_main([*flags, "--quiet"])[0] == 0
    status, out, _ = call_main([*flags, "--loggers=tensorboard"])
    assert status == 0
    notes = [line for line in out.splitlines() if line.startswith("note: --loggers=tensorboard")]
    assert len(notes) == 1 and "report --path" in notes[0] and "--tensorboard_dir" in notes[0]
    assert not list(tmp_path.glob(f"train_*/replicate_1/main/{layout.TENSORBOARD}"))  # the job is left as it was


@pytest.mark.parametrize("record, loggers", [
    ({"tensorboard": True, "wandb": False}, "tensorboard"),        # a record written before --loggers
    ({"tensorboard": True, "wandb": True}, "tensorboard,wandb"),
    ({"tensorboard": False, "wandb": False}, None),
    ({"loggers": "wandb"}, "wandb"),
])
def test_records_before_loggers_read_back(record, loggers, monkeypatch):
    from sparselab.train import loggers as logger_registry
    from sparselab.train.hparams import TrainingHparams

    # reading a record back must not depend on tensorboard/wandb being installed here
    monkeypatch.setattr(logger_registry, "require_package", lambda flag, package: None)

    assert TrainingHparams.from_dict(record).loggers == loggers


@pytest.mark.parametrize("flag", ["--tensorboard", "--wandb"])
def test_the_retired_switches_say_what_to_type(flag):
    status, _, err = call_main(["train", flag, "--training_steps=1it"])
    assert status == 2 and err.count("error:") == 1
    assert f"{flag} was retired: use --loggers={flag[2:]} (a comma list: tensorboard,wandb)" in err
