"""Where every file of a job tree lives: the one module that spells directory and file names.

    <root>/<command>_<hash>/replicate_<R>/level_<L>/main/                  a trunk level (lottery, ...)
    <root>/<command>_<hash>/replicate_<R>/level_pretrain/main/             dense pretraining (rewinding)
    <root>/<command>_<hash>/replicate_<R>/level_<L>/branch_<name>_<hash>/  a branch of level L
    <root>/train_<hash>/replicate_<R>/main/                                a `train` run
    <root>/train_<hash>/replicate_<R>/level_<L>/branch_<name>_<hash>/      a `train_branch` level
    <train job>/explore/, <train job>/member_<j>/                          EDST ensemble phases
    <train job>/member_<j>/                                                pf/dst ensemble members

Runners, branches, reports and ensembles ask this module; none of them spells a path.
"""
from __future__ import annotations

import re
from pathlib import Path

# ----- files of one job -----------------------------------------------------------------------------
HPARAMS = "hparams.json"  # every field of every bundle (written first)
DONE = "done.json"  # final summary + sha256 of every file (written last: the job is finished)
CHECKPOINT = "checkpoint.pt"  # only while running
WEIGHTS_START = "weights_start.pt"  # the (masked) weights training started from
WEIGHTS_FINAL = "weights_final.pt"
METRICS = "metrics.csv"
MASK = "mask.pt"  # the START mask of a masked job
SPARSITY_REPORT = "sparsity_report.json"  # per-tensor densities of `mask.pt`
FINAL_MASK = "mask_final.pt"  # the mask a dynamic sparse job (DST, EDST phase) ended with
FINAL_SPARSITY_REPORT = "sparsity_report_final.json"
TOPOLOGY = "topology.csv"  # DST history: density per tensor and weights moved per update
SUPERMASK = "supermask.pt"  # a supermask level's final selection (edge-popup)
OPTIMIZER_FINAL = "optimizer_final.pt"  # the optimiser state a job ended with, for the next level to carry on
LABEL_NOISE = "label_noise.pt"  # which labels were corrupted (under --label_noise)
ENSEMBLE_EVALUATION = "ensemble_evaluation.json"  # evaluate_ensemble's default output
TENSORBOARD = "tensorboard"  # folder of --loggers=tensorboard's event files
WANDB = "wandb"  # folder of --loggers=wandb's (offline) run files
JOURNAL = "journal.json"  # only while running: sha256 of every file the job wrote, recorded as it was written
KINDS = {CHECKPOINT: "checkpoint", WEIGHTS_START: "weights file", WEIGHTS_FINAL: "weights file", MASK: "mask file",
         FINAL_MASK: "mask file", LABEL_NOISE: "label-noise record",
         OPTIMIZER_FINAL: "optimizer state"}  # how errors name a job's torch files


def kind_of(name: str) -> str:
    """What an error calls the file `name` (a torch file that is none of the job's own: 'torch file')."""
    return KINDS.get(name, "torch file")


# ----- files of a job written by OpenLTH / Sparse Double Descent (read by reports.openlth) -----------
OPENLTH_LOGGER = "logger"  # CSV lines metric,iteration,value; written at the end of training
OPENLTH_MASK = "mask.pth"  # tensor name -> 0/1 int tensor
OPENLTH_HPARAMS = "hparams.log"  # the bundles' display blocks (level_0/main of a trunk, main of a train run)
OPENLTH_MODEL_RE = re.compile(r"^model_ep(\d+)_it(\d+)\.pth$")  # a plain state_dict at step (ep, it)


def openlth_model(ep: int, it: int) -> str:
    """OpenLTH's name of the model saved at step (ep, it)."""
    return f"model_ep{ep}_it{it}.pth"


# A file that is only whole with its partner: a kill between the two writes drops the first, to be recomputed.
PARTNERS = {MASK: SPARSITY_REPORT, FINAL_MASK: FINAL_SPARSITY_REPORT}

# ----- directories ----------------------------------------------------------------------------------
MAIN = "main"  # the trunk's own job of a level (or of a train run)
PRETRAIN = "level_pretrain"
EXPLORE = "explore"  # EDST exploration phase

REPLICATE_RE = re.compile(r"^replicate_([0-9]+)$", re.ASCII)
LEVEL_RE = re.compile(r"^level_([0-9]+)$", re.ASCII)
BRANCH_RE = re.compile(r"^branch_(.+)_([0-9a-fA-F]+)$")
EXPERIMENT_RE = re.compile(r"^(.+)_([0-9a-fA-F]{6,})$")


def experiment_dir(root: Path, experiment: str) -> Path:
    """`<root>/<experiment>`: all replicates; `experiment` is `foundations.desc.job_name(...)`."""
    return Path(root) / experiment


def replicate_dir(root: Path, experiment: str, replicate: int) -> Path:
    """`<root>/<experiment>/replicate_<R>`."""
    return experiment_dir(root, experiment) / f"replicate_{replicate}"


def level_parent(replicate: Path, level: int) -> Path:
    """`replicate_<R>/level_<L>`: holds the level's `main` job and its branches."""
    return replicate / f"level_{level}"


def level_dir(replicate: Path, level: int) -> Path:
    return level_parent(replicate, level) / MAIN


def pretrain_dir(replicate: Path) -> Path:
    return replicate / PRETRAIN / MAIN


def train_dir(replicate: Path) -> Path:
    """A `train` run's job inside its replicate folder."""
    return replicate / MAIN


def branch_prefix(name: str) -> str:
    """The prefix a branch's job name is hashed under: `branch_<name>`."""
    return f"branch_{name}"


def member_name(j: int) -> str:
    """The j-th (1-based) ensemble member's folder inside the ensemble job."""
    return f"member_{j}"
