"""Integrity trials: SIGKILL at random points of a small lottery run, and corruptions of every file kind.

    python bench/kill_trials.py [--kills 20] [--seed 0] [--work /tmp/kill_trials]

Kills: each trial starts `lottery --levels=2 --training_steps=2ep` (digits), SIGKILLs it after a
random delay within the reference run's duration, reruns the same command, and compares every
level's files and numbers with an uninterrupted run (and that no temporary file or checkpoint is
left). Corruptions: a bit flip, a truncation and a value change (a valid file with one number
changed) of each file kind, in finished levels (detected if the rerun or `report` exits 2 naming
the file) and in a job in progress (detected if the resume exits 2 naming it; otherwise the
resumed results are compared with the uninterrupted run: 'harmless' if equal, 'SILENT' if not).
"""
from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "foundations"))

from integrity_helpers import run_killed_at_checkpoint, temporaries  # noqa: E402

FLAGS = ("--levels=2", "--training_steps=2ep", "--quiet")
LEVEL_FILES = ("weights_start.pt", "weights_final.pt", "mask.pt", "metrics.csv", "done.json", "hparams.json",
               "sparsity_report.json")
PROGRESS_FILES = ("checkpoint.pt", "weights_start.pt", "mask.pt", "hparams.json", "metrics.csv")


def main_py(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout)


def main_in_process(*args: str) -> subprocess.CompletedProcess:
    """main.py in this process (the corruption trials: no torch import per run); same result shape."""
    import contextlib

    from sparselab import main as entry

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = entry.main(list(args))
        except SystemExit as e:
            code = int(e.code or 0)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def fingerprint(root: Path) -> dict:
    """Bytes of every level's weights and mask, and its numbers (timings left out)."""
    out = {}
    for d in sorted(root.glob("lottery_*/replicate_1/level_*/main")):
        for name in ("weights_start.pt", "weights_final.pt", "mask.pt"):
            out[f"{d.parent.name}/{name}"] = (d / name).read_bytes() if (d / name).exists() else None
        done = json.loads((d / "done.json").read_text()) if (d / "done.json").exists() else {}
        for key in ("final_test_accuracy", "final_test_loss", "final_train_loss", "best_test_accuracy"):
            out[f"{d.parent.name}/{key}"] = done.get(key)
    return out


def kill_trials(work: Path, count: int, rng: random.Random, reference: dict, duration: float) -> dict:
    tally = {"identical": 0, "differs": 0, "rerun failed": 0, "temporaries after kill": 0, "left after rerun": 0}
    for i in range(count):
        root = work / f"kill_{i}"
        proc = subprocess.Popen([sys.executable, str(REPO / "main.py"), "lottery", *FLAGS, f"--root={root}"],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delay = rng.uniform(1.0, duration)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        tally["temporaries after kill"] += bool(temporaries(root)) if root.exists() else 0
        rerun = main_py("lottery", *FLAGS, f"--root={root}")
        leftovers = temporaries(root) + [p for p in root.rglob("checkpoint.pt")]
        tally["left after rerun"] += bool(leftovers)
        if rerun.returncode != 0:
            tally["rerun failed"] += 1
            outcome = f"rerun failed: {rerun.stderr.strip()[-200:]}"
        elif fingerprint(root) == reference:
            tally["identical"] += 1
            outcome = "identical"
        else:
            tally["differs"] += 1
            outcome = "DIFFERS"
        print(f"kill {i:2d} after {delay:5.1f}s: {outcome}", flush=True)
    return tally


def corrupt(path: Path, how: str, rng: random.Random) -> None:
    data = bytearray(path.read_bytes())
    if how == "bitflip":
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
    elif how == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif path.name == "checkpoint.pt":  # a value changed in the payload, header kept
        header, payload = bytes(data).split(b"\n", 1)
        state = torch.load(io.BytesIO(payload), weights_only=True)
        tensor = next(iter(state["model"].values()))
        tensor.view(-1)[0] += 1e-3
        buffer = io.BytesIO()
        torch.save(state, buffer)
        path.write_bytes(header + b"\n" + buffer.getvalue())
    elif path.suffix == ".pt":
        state = torch.load(path, weights_only=True)
        tensor = next(iter(state.values()))
        flat = tensor.view(-1)
        if flat.dtype == torch.bool:
            flat[0] = ~flat[0]
        else:
            flat[0] += 1e-3 if flat.dtype.is_floating_point else 1
        torch.save(state, path)
    else:  # text: change one digit
        text = path.read_text()
        digits = [i for i, c in enumerate(text) if c.isdigit() and c != "9"]
        i = rng.choice(digits)
        path.write_text(text[:i] + str(int(text[i]) + 1) + text[i + 1:])


def corruption_trials(work: Path, rng: random.Random, reference: dict) -> dict:
    finished = work / "finished"
    main_py("lottery", *FLAGS, f"--root={finished}")
    progress = work / "progress"
    run_killed_at_checkpoint(4, "lottery", *FLAGS, f"--root={progress}")  # level 1 in progress, after 1 epoch
    tally = {"detected": 0, "harmless": 0, "SILENT": 0}
    hows = ("bitflip", "truncate", "value")
    cases = [("finished", 1, name, how) for name in LEVEL_FILES for how in hows]
    cases += [("finished", 0, name, how) for name in LEVEL_FILES[:3] for how in hows]
    cases += [("in progress", 1, name, how) for name in PROGRESS_FILES for how in hows]
    for i, (kind, level, name, how) in enumerate(cases):
        root = work / f"corrupt_{i}"
        shutil.copytree(finished if kind == "finished" else progress, root)
        target = next(root.glob(f"lottery_*/replicate_1/level_{level}/main/{name}"))
        corrupt(target, how, rng)
        runs = [main_in_process("lottery", *FLAGS, f"--root={root}")]
        if kind == "finished":
            runs.append(main_in_process("report", "lottery", *FLAGS[:2], f"--root={root}"))
        named = [r.returncode == 2 and name in r.stderr and r.stderr.count("\n") == 1 for r in runs]
        if all(named):
            outcome = "detected"
        elif runs[0].returncode == 0 and fingerprint(root) == reference:
            outcome = "harmless"
        else:
            outcome = "SILENT"
        tally[outcome] += 1
        print(f"corrupt {i:2d} {kind:11s} level {level} {name:20s} {how:8s}: {outcome}", flush=True)
        shutil.rmtree(root)
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--corruptions", type=int, default=1, help="0: skip the corruption trials")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", default="/tmp/kill_trials")
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    rng = random.Random(args.seed)
    start = time.monotonic()
    ref = main_py("lottery", *FLAGS, f"--root={work / 'reference'}")
    assert ref.returncode == 0, ref.stderr
    duration = time.monotonic() - start
    reference = fingerprint(work / "reference")
    kills = kill_trials(work, args.kills, rng, reference, duration)
    corruptions = corruption_trials(work, rng, reference) if args.corruptions else {"SILENT": 0}
    print(f"reference run {duration:.1f}s; kills: {kills}; corruptions: {corruptions}", flush=True)
    return 0 if kills["differs"] == kills["rerun failed"] == corruptions["SILENT"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
