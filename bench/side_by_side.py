"""The whole run as a user sees it, side by side with a baseline of OpenLTH's design (bench/openlth_style.py):
wall time of a fresh process, from `python` to exit, medians of alternating runs.

    python bench/side_by_side.py [--repeats 3] [--rows lenet,resnet] [--work /tmp/side_by_side] [--tiny]

--tiny runs both sides on tiny sizes (LeNet 1 level x 20 iterations, ResNet 2 iterations on 512
generated images, 1 repeat) to check that the script and both pipelines work; its ratios mean nothing.

Rows: LeNet-300-100 MNIST lottery, 2 levels x 2 epochs (real MNIST from ../shared/data; skipped with a
message when absent), and ResNet-20 on generated CIFAR-format data, 100 iterations with the test set
at the start and the end. Required: ResNet-20 at least 1.5x faster than the baseline, LeNet at least 6x.
Also prints the kernel (sys) seconds and the peak resident memory of each process.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from cifar_format import write_cifar10  # noqa: E402
from shared_dir import SHARED_DATA  # noqa: E402

REQUIRED = {"lenet": 6.0, "resnet": 1.5}
TITLES = {"lenet": "LeNet-300-100 MNIST lottery, 2 levels x 2 ep",
          "resnet": "ResNet-20 CIFAR-format, 100 it + test at start/end"}


def run_child(cmd: list[str], cwd: Path = REPO) -> dict[str, float]:
    """Wall seconds, kernel seconds and peak resident MB of one child process (raises when it fails)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"error: {' '.join(cmd)} exited {proc.returncode}:\n{out[-2000:]}")
    return {"wall": wall, "sys": usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024, "out": out}  # type: ignore[dict-item]


TINY = False  # --tiny


def sparselab_cmd(row: str, data_root: Path, root: Path) -> list[str]:
    common = [f"--dataset_root={data_root}", f"--root={root}", "--quiet"]
    if row == "lenet":
        steps = ["--levels=1", "--training_steps=20it"] if TINY else ["--levels=2", "--training_steps=2ep"]
        return [sys.executable, "main.py", "lottery", "--default_hparams=mnist_lenet_300_100", *steps, *common]
    return [sys.executable, "main.py", "train", "--default_hparams=cifar_resnet_20",
            f"--training_steps={2 if TINY else 100}it", *common]


def baseline_cmd(row: str, data_root: Path, root: Path) -> list[str]:
    if row == "lenet":  # torchvision's MNIST reads the extracted idx files; extracted once, before timing
        sys.path.insert(0, str(REPO / "bench"))
        from openlth_style import extract_mnist

        data_root = extract_mnist(data_root, root.parent / "mnist_raw")
    sizes = ({"lenet": ["1", "1", "20"], "resnet": ["2"]} if TINY else {"lenet": [], "resnet": []})[row]
    return [sys.executable, str(REPO / "bench" / "openlth_style.py"), row, str(data_root), str(root), *sizes]


def measure(row: str, data_root: Path, work: Path, repeats: int) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {"sparselab": [], "baseline": []}
    for r in range(repeats):
        for who, make in (("sparselab", sparselab_cmd), ("baseline", baseline_cmd)):  # alternating
            root = work / f"{row}_{who}_{r}"
            shutil.rmtree(root, ignore_errors=True)
            cmd = make(row, data_root, root)
            result = run_child(cmd)
            results[who].append(result)
            print(f"  {row} {who} run {r + 1}: {result['wall']:.1f} s wall, {result['sys']:.1f} s sys, "
                  f"{result['rss_mb']:.0f} MB peak", flush=True)
            shutil.rmtree(root, ignore_errors=True)
    return results


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", default="lenet,resnet")
    parser.add_argument("--work", type=Path, default=Path("/tmp/side_by_side"))
    parser.add_argument("--tiny", action="store_true", help="tiny sizes, 1 repeat: checks the script, not speed")
    args = parser.parse_args()
    global TINY
    TINY = args.tiny
    if TINY:
        args.repeats = 1
    rows = [r for r in args.rows.split(",") if r]
    table, failed = [], False
    for row in rows:
        if row == "lenet":
            if not (SHARED_DATA / "mnist").exists():
                print(f"skipping the LeNet row: no MNIST in {SHARED_DATA}", flush=True)
                continue
            data_root = SHARED_DATA
        else:
            data_root = args.work / ("data_tiny" if TINY else "data")
            write_cifar10(data_root, *((512, 256) if TINY else ()))
        print(f"{TITLES[row]}{' (--tiny: sizes differ, ratios mean nothing)' if TINY else ''}:", flush=True)
        res = measure(row, data_root, args.work, args.repeats)
        ours, theirs = median(res["sparselab"], "wall"), median(res["baseline"], "wall")
        ratio = theirs / ours
        ok = ratio >= REQUIRED[row]
        failed |= not ok
        table.append((TITLES[row], ours, theirs, ratio, REQUIRED[row], ok, median(res["sparselab"], "sys"),
                      median(res["baseline"], "sys"), median(res["sparselab"], "rss_mb"),
                      median(res["baseline"], "rss_mb")))
    print(f"\nmedians of {args.repeats} alternating runs (wall s of a fresh process; sys s; peak RSS MB)")
    print(f"{'row':52s} {'sparselab':>9s} {'baseline':>9s} {'faster':>7s} {'needed':>6s}  "
          f"{'sys ours/base':>13s}  {'MB ours/base':>12s}")
    for title, ours, theirs, ratio, need, ok, s1, s2, m1, m2 in table:
        print(f"{title:52s} {ours:9.1f} {theirs:9.1f} {ratio:6.2f}x {need:5.1f}x  {s1:6.1f}/{s2:<6.1f}  "
              f"{m1:5.0f}/{m2:<6.0f} {'ok' if ok else 'BELOW TARGET'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
