"""The corruption cases of the fault campaign: each edit of a finished trunk, and of an in-progress one.

A finished case is (the edit, the level the branch and `load_job` read); an in-progress case edits one
file of level 2 of a run killed before level 2's weights_final.pt (or right after its checkpoint.pt).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

LEVEL_FILES = ("hparams.json", "mask.pt", "sparsity_report.json", "weights_start.pt", "weights_final.pt",
               "metrics.csv", "done.json")
Edit = Callable[[], None]


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def foreign(path: Path) -> None:
    import torch
    torch.save({"not": torch.zeros(3)}, path)


def swap(a: Path, b: Path) -> None:
    tmp = a.with_name(a.name + ".swap")
    a.rename(tmp)
    b.rename(a)
    tmp.rename(b)


def replace_with(target: Path, source: Path) -> None:
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)


def edit_json(path: Path, change: Callable[[dict], None]) -> None:
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))


def stripped(raise_accuracy: bool) -> Callable[[dict], None]:
    def change(record: dict) -> None:
        record.pop("integrity", None)
        if raise_accuracy:
            record["final_test_accuracy"] = 0.99
    return change


def _raise_accuracy(record: dict) -> None:
    record["final_test_accuracy"] = round(record["final_test_accuracy"] + 0.01, 6)


def _raise_lr(record: dict) -> None:
    record["training"]["lr"] = record["training"]["lr"] * 2


def _edit_report(record: dict) -> None:
    key = next(k for k, v in record.items() if isinstance(v, (int, float)) and not isinstance(v, bool))
    record[key] = record[key] + 1


def edit_metrics(path: Path, drop_last: bool) -> None:
    """A hand edit of metrics.csv: the last row's test accuracy raised, or the last row deleted."""
    lines = path.read_text().splitlines()
    if drop_last:
        path.write_text("\n".join(lines[:-1]) + "\n")
        return
    header, last = lines[0].split(","), lines[-1].split(",")
    i = header.index("test_accuracy")
    last[i] = repr(float(last[i]) + 0.01)
    path.write_text("\n".join([*lines[:-1], ",".join(last)]) + "\n")


def finished_cases(root: Path) -> dict[str, tuple[Edit, int]]:
    """Every edit of the finished trunk under `root` (2 replicates, levels 0-2, a branch at level 1)."""
    rep1, rep2 = (next(root.glob(f"lottery_*/replicate_{r}")) for r in (1, 2))
    branch = next((rep1 / "level_1").glob("branch_*"))
    job = {level: rep1 / f"level_{level}" / "main" for level in (0, 1, 2)}
    cases: dict[str, tuple[Edit, int]] = {}
    for level, d in job.items():
        for name in LEVEL_FILES:
            cases[f"flip {level}/{name}"] = (lambda p=d / name: flip(p), level)
        cases[f"strip integrity, raise accuracy {level}"] = (lambda p=d / "done.json": edit_json(p, stripped(True)),
                                                             level)
        cases[f"{{}} as done.json {level}"] = (lambda p=d / "done.json": p.write_text("{}"), level)
    for name in LEVEL_FILES:
        cases[f"truncate 1/{name}"] = (lambda p=job[1] / name: truncate(p), 1)
    cases.update({
        "strip integrity 1": (lambda: edit_json(job[1] / "done.json", stripped(False)), 1),
        "hand-edited accuracy in done.json 1": (lambda: edit_json(job[1] / "done.json", _raise_accuracy), 1),
        "hand-edited accuracy in done.json 2": (lambda: edit_json(job[2] / "done.json", _raise_accuracy), 2),
        "hand-edited lr in hparams.json 1": (lambda: edit_json(job[1] / "hparams.json", _raise_lr), 1),
        "hand-edited sparsity_report.json 1": (lambda: edit_json(job[1] / "sparsity_report.json", _edit_report), 1),
        "metrics.csv accuracy raised 1": (lambda: edit_metrics(job[1] / "metrics.csv", False), 1),
        "metrics.csv last row deleted 2": (lambda: edit_metrics(job[2] / "metrics.csv", True), 2),
        "foreign torch file as mask.pt 1": (lambda: foreign(job[1] / "mask.pt"), 1),
        "foreign torch file as weights_final.pt 2": (lambda: foreign(job[2] / "weights_final.pt"), 2),
        "replicate 2's level_0 in replicate 1": (lambda: replace_with(rep1 / "level_0", rep2 / "level_0"), 0),
        "replicate 2's level_2 in replicate 1": (lambda: replace_with(rep1 / "level_2", rep2 / "level_2"), 2),
        "replicate 2 over replicate 1": (lambda: replace_with(rep1, rep2), 1),
        "swap level_1 and level_2": (lambda: swap(rep1 / "level_1", rep1 / "level_2"), 1),
        "swap level_0 and level_1": (lambda: swap(rep1 / "level_0", rep1 / "level_1"), 0),
        "swap mask.pt of levels 1 and 2": (lambda: swap(job[1] / "mask.pt", job[2] / "mask.pt"), 1),
        "level 1's done.json in level 2": (lambda: replace_with(job[2] / "done.json", job[1] / "done.json"), 2),
        "branch of level 1 copied to level 2": (lambda: shutil.copytree(branch, rep1 / "level_2" / branch.name), 2),
        "flip branch weights_final.pt": (lambda: flip(branch / "weights_final.pt"), 1),
        "flip branch done.json": (lambda: flip(branch / "done.json"), 1),
    })
    return cases


IN_PROGRESS = {"hparams.json": ("flip", "truncate", "delete"), "mask.pt": ("flip", "truncate", "foreign", "delete"),
               "sparsity_report.json": ("flip", "truncate", "delete"),
               "weights_start.pt": ("flip", "truncate", "foreign", "delete"),
               "metrics.csv": ("flip", "truncate", "delete"), "journal.json": ("flip", "truncate", "delete"),
               "checkpoint.pt": ("flip", "truncate", "foreign", "delete")}
EDITS: dict[str, Callable[[Path], None]] = {"flip": flip, "truncate": truncate, "foreign": foreign,
                                            "delete": Path.unlink}


def in_progress_cases() -> list[tuple[str, str]]:
    """(file of the interrupted level 2, edit) pairs."""
    return [(name, how) for name, hows in IN_PROGRESS.items() for how in hows]


def selected(names: list, only: str) -> list:
    """The cases whose name (or "<edit> <file>") contains one of the comma-separated parts of `only`."""
    parts = [part for part in only.split(",") if part]
    text = (lambda n: n if isinstance(n, str) else f"{n[1]} {n[0]}")
    return [n for n in names if not parts or any(part in text(n) for part in parts)]
