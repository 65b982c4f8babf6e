"""Issue 26, classes 1-3: a result is bound to its identity, and every file is checked before it is used.

Class 2 and 3 (finished jobs): each case edits a copy of a finished 2-level trunk; the rerun, `report`, a
branch, `load_job` and `verify` must all refuse it, naming the file and the mismatch. Class 1 (a job killed
before its done.json): each case edits one file of the interrupted level; `verify` names it as damaged, and
the rerun recomputes it and ends with exactly the uninterrupted run's results.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
import torch

from helpers import ROOT, env, run_main
from integrity_helpers import flip_bit, one

FLAGS = ("--levels=2", "--training_steps=2it", "--threads=1")
REP = "lottery_*/replicate_{}"


def lottery(root: Path, *more: str, check: bool = False) -> subprocess.CompletedProcess:
    return run_main("lottery", *FLAGS, f"--root={root}", *more, check=check)


@pytest.fixture(scope="module")
def trunk(tmp_path_factory) -> Path:
    """Replicates 1 and 2 of a finished 2-level lottery."""
    root = tmp_path_factory.mktemp("trunk")
    for replicate in (1, 2):
        lottery(root, f"--replicate={replicate}", check=True)
    return root


def swap_levels(root: Path) -> None:
    rep = one(root, REP.format(1))
    (rep / "level_1").rename(rep / "tmp")
    (rep / "level_2").rename(rep / "level_1")
    (rep / "tmp").rename(rep / "level_2")


def level0_of_replicate_2(root: Path) -> None:
    rep1, rep2 = one(root, REP.format(1)), one(root, REP.format(2))
    shutil.rmtree(rep1 / "level_0")
    shutil.copytree(rep2 / "level_0", rep1 / "level_0")


def whole_replicate_2(root: Path) -> None:
    rep1, rep2 = one(root, REP.format(1)), one(root, REP.format(2))
    shutil.rmtree(rep1)
    shutil.copytree(rep2, rep1)


def edit_done(root: Path, change: Callable[[dict], dict]) -> None:
    path = one(root, f"{REP.format(1)}/level_1/main/done.json")
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def stripped_and_raised(record: dict) -> dict:
    record.pop("integrity")
    record["final_test_accuracy"] = 0.99
    return record


FINISHED_CASES = {
    # class 2: a result moved or copied to where another one belongs
    # (edit, the file named, the mismatch named, the level load_job is asked for)
    "swapped levels 1 and 2": (swap_levels, "level_1/main/done.json", "records level 'level_2'", 1),
    "replicate 2's level 0 in replicate 1": (level0_of_replicate_2, "level_0/main/done.json", "records replicate 2",
                                             0),
    "replicate 2 copied over replicate 1": (whole_replicate_2, "replicate_1/level_0/main/done.json",
                                            "records replicate 2", 1),
    # class 3: a done.json without its integrity record
    "integrity stripped, accuracy raised": (lambda r: edit_done(r, stripped_and_raised), "level_1/main/done.json",
                                            "integrity record is missing", 1),
    "empty done.json": (lambda r: edit_done(r, lambda _: {}), "level_1/main/done.json",
                        "integrity record is missing", 1),
}

# A branch of level 1 reads level 1 first, and level 1 was computed from the replaced level 0's files.
BRANCH_SEES = {"replicate 2's level 0 in replicate 1": "was computed from"}

LOAD_JOB = """
import sys
import sparselab
try:
    sparselab.load_job(sys.argv[1], level=int(sys.argv[2]))
except sparselab.UsageError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)
"""


def refused(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    for fragment in fragments:
        assert fragment in text, (fragment, text)


@pytest.mark.parametrize("case", sorted(FINISHED_CASES))
def test_a_moved_copied_or_unsealed_result_is_refused_by_every_reader(trunk, tmp_path, case):
    edit, file, mismatch, level = FINISHED_CASES[case]
    root = tmp_path / "r"
    shutil.copytree(trunk, root)
    edit(root)
    refused(lottery(root), file, mismatch)
    refused(run_main("report", "lottery", *FLAGS, f"--root={root}", check=False), file)
    refused(run_main("lottery_branch", "randomly_prune", "--levels=1", *FLAGS[1:], f"--root={root}", check=False),
            BRANCH_SEES.get(case, mismatch))
    loaded = subprocess.run([sys.executable, "-c", LOAD_JOB, str(one(root, REP.format(1))), str(level)],
                            capture_output=True,
                            text=True, env=env(), cwd=ROOT)
    refused(loaded, mismatch)
    refused(run_main("verify", f"--root={root}", check=False), mismatch)


def level_1_replaced(root: Path) -> None:
    """Level 1 of replicate 1 trained again differently, sealed as a good job, after level 2 was computed
    from it (level 1 itself verifies)."""
    from sparselab.core import identity, integrity

    job = one(root, f"{REP.format(1)}/level_1/main")
    weights = torch.load(job / "weights_final.pt", weights_only=True)
    torch.save({k: v * 2 if v.is_floating_point() else v for k, v in weights.items()}, job / "weights_final.pt")
    record = json.loads((job / "done.json").read_text())
    integrity._digests.clear()
    sealed = integrity.seal(record, integrity.manifest(job), identity.of_directory(job),
                            {k: v for k, v in record["integrity"]["identity"]["parents"].items()})
    (job / "done.json").write_text(json.dumps(sealed))


def test_a_parent_replaced_after_its_child_finished_makes_the_child_damaged_naming_the_parent(trunk, tmp_path):
    """Issue 26, class 2: the identity holds the digests of the parent files the job was computed from."""
    root = tmp_path / "r"
    shutil.copytree(trunk, root)
    child = one(root, f"{REP.format(1)}/level_2/main")
    parents = json.loads((child / "done.json").read_text())["integrity"]["identity"]["parents"]
    assert set(parents) == {"../../level_0/main/weights_start.pt", "../../level_1/main/weights_final.pt",
                            "../../level_1/main/mask.pt"}
    level_1_replaced(root)
    named, why = "level_1/main/weights_final.pt", "replaced after that job finished"
    refused(lottery(root), named, why, "level_2/main --repair")
    refused(run_main("report", "lottery", *FLAGS, f"--root={root}", check=False), named, why)
    refused(run_main("lottery_branch", "randomly_prune", "--levels=2", *FLAGS[1:], f"--root={root}", check=False),
            named, why)
    loaded = subprocess.run([sys.executable, "-c", LOAD_JOB, str(one(root, REP.format(1))), "2"],
                            capture_output=True, text=True, env=env(), cwd=ROOT)
    refused(loaded, named, why)
    refused(run_main("verify", f"--root={root}", check=False), named)
    assert subprocess.run([sys.executable, "-c", LOAD_JOB, str(one(root, REP.format(1))), "1"],
                          capture_output=True, text=True, env=env(), cwd=ROOT).returncode == 0


# main.py SIGKILLed just before it writes level 2's weights_final.pt: level 2 keeps hparams.json,
# mask.pt, sparsity_report.json, weights_start.pt and metrics.csv, and has no done.json (one script,
# shared with the fault campaign).
from bench.fault_campaign import KILL_BEFORE  # noqa: E402


def foreign_torch_file(path: Path) -> None:
    torch.save({"not": torch.zeros(3)}, path)


def raise_lr(path: Path) -> None:
    record = json.loads(path.read_text())
    record["training"]["lr"] = 0.5
    path.write_text(json.dumps(record))


INTERRUPTED_CASES = {  # (the file edited, the edit, the file named and recomputed)
    "bit flipped in weights_start.pt": ("weights_start.pt", flip_bit, "weights_start.pt"),
    "bit flipped in mask.pt": ("mask.pt", flip_bit, "mask.pt"),
    "foreign torch file as mask.pt": ("mask.pt", foreign_torch_file, "mask.pt"),
    "hparams.json edited": ("hparams.json", raise_lr, "hparams.json"),
    # class 4: a kill between mask.pt and its report lost the report for good
    "sparsity_report.json lost": ("sparsity_report.json", Path.unlink, "mask.pt: written without its"),
}


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory) -> tuple[Path, Path]:
    """(a root whose level 2 was killed before its final weights, the uninterrupted level 2)."""
    reference = tmp_path_factory.mktemp("reference")
    lottery(reference, check=True)
    root = tmp_path_factory.mktemp("interrupted")
    proc = subprocess.run([sys.executable, "-c", KILL_BEFORE, "lottery", *FLAGS, f"--root={root}"],
                          capture_output=True, text=True, env=env(), cwd=ROOT)
    assert proc.returncode == -9, (proc.stdout, proc.stderr)
    return root, one(reference, f"{REP.format(1)}/level_2/main")


@pytest.mark.parametrize("case", sorted(INTERRUPTED_CASES))
def test_a_file_of_an_interrupted_job_that_changed_is_recomputed_not_sealed(interrupted, tmp_path, case):
    name, edit, named = INTERRUPTED_CASES[case]
    root = tmp_path / "r"
    shutil.copytree(interrupted[0], root)
    level = one(root, f"{REP.format(1)}/level_2/main")
    assert not (level / "done.json").exists()
    edit(level / name)
    refused(run_main("verify", f"--root={root}", check=False), f"level_2/main: {named}")
    rerun = lottery(root, check=True)
    assert f"level_2/main/{named}" in rerun.stdout and "recomputing" in rerun.stdout, rerun.stdout
    for file in ("mask.pt", "weights_start.pt", "weights_final.pt", "sparsity_report.json"):
        assert (level / file).read_bytes() == (interrupted[1] / file).read_bytes(), file
    got, want = (json.loads((d / "done.json").read_text()) for d in (level, interrupted[1]))
    assert got["final_test_accuracy"] == want["final_test_accuracy"]
    assert run_main("verify", f"--root={root}").returncode == 0
