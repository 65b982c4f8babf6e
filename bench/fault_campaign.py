"""Fault-injection campaign: kills at every rename/fsync, corruptions of finished and in-progress jobs,
moved and copied directories, stripped integrity records, bad inputs; one table at the end.

    python bench/fault_campaign.py [--work DIR] [--every 1] [--first 1] [--limit 0] [--only A,B] [--syscalls rename,fsync]
                                   [--parts kills,finished,in_progress,bad_inputs]

Kills: `strace -e inject=<call>:signal=KILL:when=N` for N over every rename (and fsync) of a 2-level
digits lottery, then a plain rerun. Finished: each edit of bench/fault_campaign_cases.py on a copy of a
finished 2-replicate trunk with a branch, then every reader (bench/fault_campaign_readers.py: `report`,
its --plot, --curves and --csv, a branch, `load_job`, `verify`, the rerun). In progress: each edit of a
file of a level killed before its final weights (or right after its checkpoint), then the readers, the
rerun, and the readers again. Outcomes: detected (every reader of the damage exits 2 with one `error:`
line), harmless (nothing refused and every result equals the unedited or uninterrupted run's), silent
(a reader exits 0 over damage, or a result differs), lost (a file the uninterrupted run has is missing
after the rerun, or the rerun fails). Bad inputs: bench/bad_inputs.py's summary.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import fault_campaign_cases as cases  # noqa: E402
from fault_campaign_readers import crashed, judge_readers, run_readers as readers, why  # noqa: E402

FLAGS = ("--levels=2", "--training_steps=2it", "--threads=1", "--quiet")
ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
LEVEL_FILES = cases.LEVEL_FILES
SYSCALLS = {"rename": "rename,renameat,renameat2", "fsync": "fsync,fdatasync"}
# main.py, SIGKILLed just before writing level 2's final weights: an in-progress job to corrupt
KILL_BEFORE = """
import os, signal, sys
from sparselab.core import io as fio
original = fio.atomic_write
def atomic_write(path, write, **how):
    if path.name == "weights_final.pt" and path.parent.parent.name == "level_2":
        os.kill(os.getpid(), signal.SIGKILL)
    return original(path, write, **how)
fio.atomic_write = atomic_write
from sparselab import main
sys.exit(main.main(sys.argv[1:]))
"""
# the same, SIGKILLed right after level 2's checkpoint.pt (run with --checkpoint_seconds=0)
KILL_AFTER_CHECKPOINT = KILL_BEFORE.replace("""    if path.name == "weights_final.pt" and path.parent.parent.name == "level_2":
        os.kill(os.getpid(), signal.SIGKILL)
    return original(path, write, **how)""", """    done = original(path, write, **how)
    if path.name == "checkpoint.pt" and path.parent.parent.name == "level_2":
        os.kill(os.getpid(), signal.SIGKILL)
    return done""")


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


def judge_rerun(root: Path, reference: dict[str, object], rerun: subprocess.CompletedProcess,
                verify: bool = True) -> str:
    if rerun.returncode == 2 and rerun.stderr.startswith("error: "):
        return "detected"
    if rerun.returncode != 0:
        return "lost"
    got = fingerprint(root)
    if set(reference) - set(got) or leftovers(root):
        return "lost"
    good = got == reference and (not verify or main_py("verify", f"--root={root}").returncode == 0)
    return "harmless" if good else "silent"


# ----- kills --------------------------------------------------------------------------------------
def count_calls(work: Path, calls: str) -> int:
    work.mkdir(parents=True, exist_ok=True)
    log = work / "strace.log"
    lottery(work / "count", prefix=("strace", "-f", "-qq", "-o", str(log), "-e", f"trace={calls}"))
    return sum(1 for line in log.read_text().splitlines() if re.search(r"\b(rename|renameat2?|f(data)?sync)\(", line))


def kills(work: Path, reference: dict[str, object], syscall: str, every: int, limit: int,
          first: int = 1) -> list[str]:
    calls = SYSCALLS[syscall]
    total = count_calls(work / syscall, calls)
    outcomes = []
    for n in range(first, total + 1, every)[:limit or None]:
        root = work / syscall / f"kill_{n}"
        lottery(root, prefix=("strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={calls}",
                              "-e", f"inject={calls}:signal=KILL:when={n}"))
        outcome = judge_rerun(root, reference, lottery(root))
        outcomes.append(outcome)
        print(f"kill at {syscall} {n}/{total}: {outcome}", flush=True)
        shutil.rmtree(root)
    return outcomes


# ----- corruptions --------------------------------------------------------------------------------
UNCONCERNED = {"branch": {"rerun", "load_job"}}  # a damaged branch: the trunk's rerun and load_job do not read it


def finished_part(work: Path, finished: Path, limit: int, only: str) -> list[str]:
    root = work / "case"
    shutil.copytree(finished, root)
    reference = {level: readers(root, level, True) for level in (0, 1, 2)}
    shutil.rmtree(root)
    outcomes = []
    for name in cases.selected(list(cases.finished_cases(finished)), only)[:limit or None]:
        shutil.copytree(finished, root)
        edit, level = cases.finished_cases(root)[name]
        edit()
        unconcerned = UNCONCERNED["branch"] if "branch" in name else set()
        got = readers(root, level, True)
        outcome, bad = judge_readers(got, reference[level], set(got) - unconcerned)
        outcomes.append(outcome)
        print(f"finished, {name}: {outcome} {why(got, bad)}", flush=True)
        shutil.rmtree(root)
    return outcomes


def in_progress_part(work: Path, killed: dict[str, Path], finished_1: Path, fingerprint_1: dict[str, object],
                     limit: int, only: str) -> list[str]:
    """Each edit of the interrupted level 2, then: the readers (each refuses, or prints what it prints on the
    unedited interrupted tree; verify must name an edited file), the rerun (it must end with the uninterrupted
    run's bytes), then the readers again (all as on the uninterrupted run)."""
    root = work / "case"
    before = {}
    for kind, source in killed.items():
        shutil.copytree(source, root)
        before[kind] = readers(root, 2, False)
        shutil.rmtree(root)
    shutil.copytree(finished_1, root)
    after = readers(root, 2, False)
    shutil.rmtree(root)
    outcomes = []
    for file, how in cases.selected(cases.in_progress_cases(), only)[:limit or None]:
        kind = "checkpoint" if file == "checkpoint.pt" else "plain"
        shutil.copytree(killed[kind], root)
        path = next(root.glob("lottery_*/replicate_1/level_2/main")) / file
        cases.EDITS[how](path)
        got = readers(root, 2, False)
        # a deleted file can be read by nobody: the readers may show the level without its values
        first, bad = ("harmless", []) if how == "delete" and not crashed(got) else \
            judge_readers(got, before[kind], {"verify"})
        rerun = lottery(root)
        second = judge_rerun(root, fingerprint_1, rerun, verify=False)
        again = readers(root, 2, False) if second == "harmless" else {}
        third, bad_after = judge_readers(again, after, set()) if again else (second, [])
        outcome = next((o for o in ("silent", "lost") if o in (first, second, third)), "harmless")
        outcomes.append(outcome)
        print(f"in progress ({kind}), {how} {file}: {outcome} (readers before: {first} {why(got, bad)}; "
              f"rerun: {second} {rerun.stderr.strip()[-300:]}; readers after: {third} {why(again, bad_after)})",
              flush=True)
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


def trees(work: Path) -> tuple[Path, Path, dict[str, Path]]:
    """(finished: 2 replicates and a branch at level 1; finished_1: replicate 1 alone; the killed trees)."""
    finished, finished_1 = work / "finished", work / "finished_1"
    for replicate in (1, 2):
        assert lottery(finished, f"--replicate={replicate}").returncode == 0
    shutil.copytree(finished, finished_1)
    shutil.rmtree(next(finished_1.glob("lottery_*/replicate_2")))
    assert main_py("lottery_branch", "randomly_prune", "--levels=1", *FLAGS[1:], f"--root={finished}").returncode == 0
    killed = {"plain": work / "killed", "checkpoint": work / "killed_checkpoint"}
    for script, root, more in ((KILL_BEFORE, killed["plain"], ()),
                               (KILL_AFTER_CHECKPOINT, killed["checkpoint"], ("--checkpoint_seconds=0",))):
        proc = subprocess.run([sys.executable, "-c", script, "lottery", *FLAGS, f"--root={root}", *more], env=ENV,
                              cwd=REPO, capture_output=True)
        assert proc.returncode == -9, proc.stderr
    return finished, finished_1, killed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/fault_campaign"))
    parser.add_argument("--every", type=int, default=1, help="kill at every k-th call only")
    parser.add_argument("--first", type=int, default=1, help="the first call to kill at")
    parser.add_argument("--limit", type=int, default=0, help="at most this many cases per part (0: all)")
    parser.add_argument("--only", default="", help="comma-separated parts of case names: only those cases")
    parser.add_argument("--syscalls", default="rename,fsync")
    parser.add_argument("--parts", default="kills,finished,in_progress,bad_inputs")
    args = parser.parse_args()
    work, parts = args.work, args.parts.split(",")
    shutil.rmtree(work, ignore_errors=True)
    finished, finished_1, killed = trees(work)
    reference = fingerprint(finished_1)
    rows: dict[str, list[str]] = {}
    for syscall in args.syscalls.split(",") if "kills" in parts else ():
        rows[f"SIGKILL at {syscall}"] = kills(work, reference, syscall, args.every, args.limit, args.first)
    if "finished" in parts:
        rows["corruptions, finished"] = finished_part(work, finished, args.limit, args.only)
    if "in_progress" in parts:
        rows["corruptions, in progress"] = in_progress_part(work, killed, finished_1, reference, args.limit,
                                                                   args.only)
    if "bad_inputs" in parts:
        rows["bad inputs"] = bad_inputs()
    table(rows)


if __name__ == "__main__":
    main()
