"""Fault-injection campaign: kills at every rename/fsync, corruptions of finished and in-progress jobs,
moved and copied directories, stripped integrity records, bad inputs; one table at the end.

    python bench/fault_campaign.py [--work /tmp/fault_campaign] [--every 1] [--limit 0] [--syscalls rename,fsync]

Kills: `strace -e inject=<call>:signal=KILL:when=N` for N over every rename (and fsync) of a 2-level
digits lottery, then a plain rerun. Corruptions: each edit on a copy of the finished run, then the
rerun, `report` and `verify`; each edit on a copy of a run killed inside level 2, then the rerun.
Outcomes: detected (every reader exits 2), harmless (the rerun's results equal the uninterrupted
run's and verify passes), silent (a reader exits 0 over damage, or a result differs), lost (a file
the uninterrupted run has is missing after the rerun). Bad inputs: bench/bad_inputs.py's summary.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
FLAGS = ("--levels=2", "--training_steps=2it", "--threads=1", "--quiet")
ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
LEVEL_FILES = ("hparams.json", "mask.pt", "sparsity_report.json", "weights_start.pt", "weights_final.pt",
               "metrics.csv", "done.json")
SYSCALLS = {"rename": "rename,renameat,renameat2", "fsync": "fsync,fdatasync"}
# main.py, SIGKILLed just before writing level 2's final weights: an in-progress job to corrupt
KILL_BEFORE = """
import os, signal, sys
from sparselab.foundations import io as fio
original = fio.atomic_write
def atomic_write(path, write, **how):
    if path.name == "weights_final.pt" and path.parent.parent.name == "level_2":
        os.kill(os.getpid(), signal.SIGKILL)
    return original(path, write, **how)
fio.atomic_write = atomic_write
from sparselab import main
sys.exit(main.main(sys.argv[1:]))
"""


def main_py(*argv: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    import os
    return subprocess.run([*prefix, sys.executable, str(REPO / "main.py"), *argv], capture_output=True, text=True,
                          env={**os.environ, **ENV}, cwd=REPO, timeout=900)


def lottery(root: Path, *more: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return main_py("lottery", *FLAGS, f"--root={root}", *more, prefix=prefix)


def levels(root: Path, replicate: int = 1) -> list[Path]:
    return sorted(root.glob(f"lottery_*/replicate_{replicate}/level_*/main"))


def fingerprint(root: Path) -> dict[str, object]:
    """What a rerun must reproduce: every level file's bytes (hparams/done: their numbers only)."""
    out: dict[str, object] = {}
    for level in levels(root) + levels(root, 2):
        key = "/".join(level.parts[-3:])
        for name in LEVEL_FILES:
            path = level / name
            if not path.exists():
                continue
            if name == "done.json":
                record = json.loads(path.read_text())
                out[f"{key}/{name}"] = {k: v for k, v in record.items()
                                        if re.search("accuracy|loss|density", k) and "second" not in k}
            elif name == "metrics.csv":
                out[f"{key}/{name}"] = [_untimed(line.split(",")) for line in path.read_text().splitlines()]
            elif name != "hparams.json":
                out[f"{key}/{name}"] = path.read_bytes()
    return out


TIMED = ("wall_seconds", "images_per_second")


def _untimed(row: list[str], header: list[str] = []) -> list[str]:
    """A metrics.csv row without its timing columns (the first row seen is taken as the header)."""
    if not header or row[0] == "iteration":
        header[:] = row
    return [v for k, v in zip(header, row) if k not in TIMED]


def leftovers(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.name.endswith(".tmp") or p.name in ("checkpoint.pt", "journal.json")]


def judge_rerun(root: Path, reference: dict[str, object], rerun: subprocess.CompletedProcess) -> str:
    if rerun.returncode == 2 and rerun.stderr.startswith("error: "):
        return "detected"
    if rerun.returncode != 0:
        return "lost"
    got = fingerprint(root)
    if set(reference) - set(got) or leftovers(root):
        return "lost"
    return "harmless" if got == reference and main_py("verify", f"--root={root}").returncode == 0 else "silent"


# ----- kills --------------------------------------------------------------------------------------
def count_calls(work: Path, calls: str) -> int:
    work.mkdir(parents=True, exist_ok=True)
    log = work / "strace.log"
    lottery(work / "count", prefix=("strace", "-f", "-qq", "-o", str(log), "-e", f"trace={calls}"))
    return sum(1 for line in log.read_text().splitlines() if re.search(r"\b(rename|renameat2?|f(data)?sync)\(", line))


def kills(work: Path, reference: dict[str, object], syscall: str, every: int, limit: int) -> list[str]:
    calls = SYSCALLS[syscall]
    total = count_calls(work / syscall, calls)
    outcomes = []
    for n in range(1, total + 1, every)[:limit or None]:
        root = work / syscall / f"kill_{n}"
        lottery(root, prefix=("strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={calls}",
                              "-e", f"inject={calls}:signal=KILL:when={n}"))
        outcome = judge_rerun(root, reference, lottery(root))
        outcomes.append(outcome)
        print(f"kill at {syscall} {n}/{total}: {outcome}", flush=True)
        shutil.rmtree(root)
    return outcomes


# ----- corruptions --------------------------------------------------------------------------------
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


def edit_done(path: Path, change: Callable[[dict], dict]) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def stripped(raise_accuracy: bool) -> Callable[[dict], dict]:
    def change(record: dict) -> dict:
        record.pop("integrity", None)
        if raise_accuracy:
            record["final_test_accuracy"] = 0.99
        return record
    return change


def finished_edits(root: Path) -> dict[str, Callable[[], None]]:
    rep1, rep2 = (root.glob(f"lottery_*/replicate_{r}").__next__() for r in (1, 2))
    edits: dict[str, Callable[[], None]] = {}
    for level in (0, 1, 2):
        d = rep1 / f"level_{level}" / "main"
        for name in LEVEL_FILES:
            edits[f"flip {level}/{name}"] = lambda p=d / name: flip(p)
            edits[f"truncate {level}/{name}"] = lambda p=d / name: truncate(p)
        edits[f"strip integrity {level}"] = lambda p=d / "done.json": edit_done(p, stripped(False))
        edits[f"strip integrity, raise accuracy {level}"] = lambda p=d / "done.json": edit_done(p, stripped(True))
        edits[f"empty done.json {level}"] = lambda p=d / "done.json": p.write_text("{}")
        edits[f"replicate 2's level {level}"] = lambda a=rep1 / f"level_{level}", b=rep2 / f"level_{level}": \
            replace_with(a, b)
    edits["swap levels 1 and 2"] = lambda: swap(rep1 / "level_1", rep1 / "level_2")
    edits["swap mask.pt of levels 1 and 2"] = lambda: swap(*(rep1 / f"level_{L}/main/mask.pt" for L in (1, 2)))
    edits["level 1's done.json in level 2"] = lambda: replace_with(rep1 / "level_2/main/done.json",
                                                                   rep1 / "level_1/main/done.json")
    edits["replicate 2 over replicate 1"] = lambda: replace_with(rep1, rep2)
    return edits


def judge_finished(root: Path) -> str:
    readers = [lottery(root), main_py("report", "lottery", *FLAGS[:3], f"--root={root}"),
               main_py("verify", f"--root={root}")]
    if all(p.returncode == 2 for p in readers):
        return "detected"
    return "silent"


def corruptions(work: Path, finished: Path, killed: Path, reference: dict[str, object], limit: int) -> list[str]:
    outcomes = []
    cases = list(finished_edits(work / "names").items()) if (work / "names").exists() else []
    for name in [n for n, _ in cases][:limit or None]:
        root = work / "case"
        shutil.copytree(finished, root)
        finished_edits(root)[name]()
        outcomes.append(judge_finished(root))
        print(f"finished, {name}: {outcomes[-1]}", flush=True)
        shutil.rmtree(root)
    progress = {f"{how} {name}": (name, edit) for name in ("hparams.json", "mask.pt", "sparsity_report.json",
                                                            "weights_start.pt", "metrics.csv", "journal.json")
                for how, edit in (("flip", flip), ("truncate", truncate), ("foreign", foreign),
                                  ("delete", Path.unlink))}
    for case, (name, edit) in list(progress.items())[:limit or None]:
        root = work / "case"
        shutil.copytree(killed, root)
        path = next(root.glob("lottery_*/replicate_1/level_2/main")) / name
        if path.exists():
            edit(path)
        outcomes.append(judge_rerun(root, reference, lottery(root)))
        print(f"in progress, {case}: {outcomes[-1]}", flush=True)
        shutil.rmtree(root)
    return outcomes


def bad_inputs() -> list[str]:
    import os
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "bad_inputs.py")], capture_output=True, text=True,
                          env={**os.environ, **ENV}, cwd=REPO, timeout=1800)
    summary = proc.stdout.strip().splitlines()[-1]
    total = int(summary.split()[0])
    good = int(m.group(1)) if (m := re.search(r"(\d+) one-line exit 2", summary)) else 0
    print(f"bad inputs: {summary}", flush=True)
    return ["detected"] * good + ["silent"] * (total - good)


def table(rows: dict[str, list[str]]) -> None:
    print(f"\n{'class':28s} {'count':>6s} {'detected':>9s} {'harmless':>9s} {'silent':>7s} {'lost':>5s}")
    for name, outcomes in rows.items():
        print(f"{name:28s} {len(outcomes):6d} " + " ".join(f"{outcomes.count(k):{w}d}" for k, w in
                                                          (("detected", 9), ("harmless", 9), ("silent", 7),
                                                           ("lost", 5))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/fault_campaign"))
    parser.add_argument("--every", type=int, default=1, help="kill at every k-th call only")
    parser.add_argument("--limit", type=int, default=0, help="at most this many cases per part (0: all)")
    parser.add_argument("--syscalls", default="rename,fsync")
    parser.add_argument("--skip_bad_inputs", action="store_true")
    args = parser.parse_args()
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    finished, killed = work / "finished", work / "killed"
    for replicate in (1, 2):
        assert lottery(finished, f"--replicate={replicate}").returncode == 0
    reference = fingerprint(finished)
    rep1_only = {k: v for k, v in reference.items() if "replicate_1" in k}
    subprocess.run([sys.executable, "-c", KILL_BEFORE, "lottery", *FLAGS, f"--root={killed}"], env=ENV, cwd=REPO,
                   capture_output=True)
    shutil.copytree(finished, work / "names")
    rows: dict[str, list[str]] = {}
    for syscall in args.syscalls.split(","):
        rows[f"SIGKILL at {syscall}"] = kills(work, rep1_only, syscall, args.every, args.limit)
    rows["corruptions"] = corruptions(work, finished, killed, rep1_only, args.limit)
    if not args.skip_bad_inputs:
        rows["bad inputs"] = bad_inputs()
    table(rows)


if __name__ == "__main__":
    main()
