"""`python main.py verify [--root R] [--repair]`: check every job under a root against its checksums.

A finished job is checked against its done.json; one in progress against its journal and its checkpoint.
`--repair` moves each damaged job aside (`<name>.damaged-<time>`) with every job computed from it:
- a trunk level L: levels L, L+1, ... with their branches (on a GPU a retrained level is not bit-identical);
- `level_pretrain/main`: every level of the replicate; a `train` run: the run and its `train_branch` levels;
- a branch job, or a job nested in a bigger job (ensemble phases, members): that outermost job.
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import filelock

from sparselab.core import integrity, journal, layout
from sparselab.core import io as fio
from sparselab.core.cli import OneLineParser
from sparselab.core.command import Command
from sparselab.core.errors import UsageError
from sparselab.analysis.reports.openlth import is_openlth_job
from sparselab.store import tree
from sparselab.store.tree import ASIDE_MARK
from sparselab.store.job import FinishedJob, has_any
from sparselab.train.job import is_done

VERIFIED, UNVERIFIED, IN_PROGRESS, DAMAGED = "verified", "unverified", "in progress", "damaged"
FOREIGN = "OpenLTH"  # a job OpenLTH / SDD wrote: no checksums exist, its files are read as they are


@dataclass
class JobCheck:
    directory: Path
    state: str
    reason: str = ""


def is_job(directory: Path) -> bool:
    return has_any(directory, (layout.DONE, layout.CHECKPOINT, layout.HPARAMS)) or is_openlth_job(directory)


def job_directories(root: Path) -> list[Path]:
    """Every job directory under `root` (itself included), skipping jobs already moved aside."""
    found = []
    for current, dirs, _ in os.walk(root):
        dirs[:] = sorted(d for d in dirs if ASIDE_MARK not in d)
        if is_job(Path(current)):
            found.append(Path(current))
    return found


def check(directory: Path) -> JobCheck:
    """The integrity state of one job directory."""
    if is_openlth_job(directory):
        return JobCheck(directory, FOREIGN, "finished by OpenLTH: no checksums to check")
    try:
        if is_done(directory):
            return JobCheck(directory, VERIFIED if FinishedJob(directory, check_files=True).verified else UNVERIFIED)
        unjournaled = journal.unverified(directory)
        if unjournaled:  # the rerun would recompute these; --repair moves the job aside instead
            name = min(unjournaled)
            return JobCheck(directory, DAMAGED, f"{name}: {unjournaled[name]}")
        checkpoint = directory / layout.CHECKPOINT
        if checkpoint.exists():
            state = fio.load_checkpoint(checkpoint)
            if isinstance(state, dict) and isinstance(state.get("files"), dict):
                integrity.check_against(directory, state["files"])
                return JobCheck(directory, IN_PROGRESS, "checkpoint verified")
            return JobCheck(directory, IN_PROGRESS, "checkpoint written before checksums")
    except integrity.DamagedFile as e:  # a parent file (another job's) is named by its path from the job
        name = e.path.name if e.path.parent == directory else os.path.relpath(e.path, directory)
        return JobCheck(directory, DAMAGED, f"{name}: {e.reason}")
    except UsageError as e:  # an unreadable checkpoint
        return JobCheck(directory, DAMAGED, str(e).split(";")[0])
    return JobCheck(directory, IN_PROGRESS, "no checkpoint yet")


def outermost_job(directory: Path) -> Path:
    """The biggest job containing `directory` (an ensemble holds its phases and members)."""
    while directory.parent != directory and is_job(directory.parent):
        directory = directory.parent
    return directory


def invalidated(directory: Path) -> list[Path]:
    """The folders to move aside when the job in `directory` is damaged (the module's list)."""
    unit = outermost_job(directory)
    parent = unit.parent
    if unit.name == layout.MAIN and layout.LEVEL_RE.match(parent.name):
        first = int(layout.LEVEL_RE.match(parent.name).group(1))  # type: ignore[union-attr]
        return _levels(parent.parent, lambda level: level >= first)
    if unit.name == layout.MAIN and parent.name == layout.PRETRAIN:
        return [parent, *_levels(parent.parent, lambda level: True)]
    if unit.name == layout.MAIN and layout.REPLICATE_RE.match(parent.name):
        return [unit, *_levels(parent, lambda level: True)]
    return [unit]


def _levels(replicate: Path, keep) -> list[Path]:
    return sorted((p for level, p in tree.level_dirs(replicate) if keep(level)), key=lambda p: p.name)


def move_aside(folders: list[Path]) -> list[tuple[Path, Path]]:
    """Rename each folder to `<name>.damaged-<time>`; refused while a process holds a job lock inside."""
    locks = []
    try:
        for folder in folders:
            for job in job_directories(folder):
                lock = filelock.FileLock(str(job / integrity.LOCK_NAME))
                try:
                    lock.acquire(timeout=0)
                except filelock.Timeout:
                    raise UsageError(f"a process is running {job}; stop it, then repeat --repair") from None
                locks.append(lock)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        moved = []
        for folder in folders:
            target = folder.with_name(f"{folder.name}{ASIDE_MARK}{stamp}")
            os.replace(folder, target)
            moved.append((folder, target))
        return moved
    finally:
        for lock in locks:
            lock.release()


def verify(root: Path, repair: bool) -> int:
    checks = [check(d) for d in job_directories(root)]
    counts = {s: sum(c.state == s for c in checks) for s in (VERIFIED, UNVERIFIED, IN_PROGRESS, DAMAGED, FOREIGN)}
    foreign = f", {counts[FOREIGN]} in OpenLTH's format" if counts[FOREIGN] else ""
    print(f"checked {len(checks)} job(s) under {root}: {counts[VERIFIED]} verified, {counts[UNVERIFIED]} "
          f"unverified, {counts[IN_PROGRESS]} in progress, {counts[DAMAGED]} damaged{foreign}")
    if counts[FOREIGN]:
        print(f"OpenLTH: {counts[FOREIGN]} finished job(s) written by OpenLTH / SDD, which records no checksums; "
              "their files were found (logger written last) but cannot be verified")
    if counts[UNVERIFIED]:
        print(f"unverified: {counts[UNVERIFIED]} finished job(s) have a done.json written before checksums; "
              "their files cannot be checked (retrain them to get checksums)")
    damaged = [c for c in checks if c.state == DAMAGED]
    for c in damaged:
        print(f"damaged: {c.directory}: {c.reason}")
    if not damaged:
        return 0
    if not repair:
        print(f"repair with: python main.py verify --root {root} --repair (moves the damaged jobs and the jobs "
              "built from them aside), then rerun the same commands", flush=True)
        return 2
    folders: list[Path] = []
    for c in damaged:
        for folder in invalidated(c.directory):
            if folder.exists() and not any(folder.is_relative_to(f) for f in folders):
                folders = [f for f in folders if not f.is_relative_to(folder)] + [folder]
    for old, new in move_aside(folders):
        print(f"moved aside: {old} -> {new.name}")
    print("rerun the same command(s) to retrain what was moved aside; delete the *.damaged-* folders when done")
    return 0


class VerifyCommand(Command):
    name: ClassVar[str] = "verify"
    description: ClassVar[str] = "check every job under a root against its checksums (--repair moves damaged jobs aside)"

    @classmethod
    def main(cls, argv: list[str]) -> int:
        from sparselab.analysis.reports.command import default_root

        parser = OneLineParser(prog="main.py verify", description=VerifyCommand.description)
        parser.add_argument("--root", default=None,
                            help="results root, or any folder inside it (default: $SPARSELAB_ROOT, else ./runs)")
        parser.add_argument("--repair", action="store_true",
                            help="move each damaged job, and the jobs computed from it, aside for retraining")
        args: argparse.Namespace = parser.parse_args(list(argv))
        root = default_root(args.root)
        if not root.is_dir():
            raise UsageError(f"--root {root}: no such directory")
        return verify(root, args.repair)
