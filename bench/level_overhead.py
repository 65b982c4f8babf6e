"""Where the time of an iterative run goes: training steps, evaluation, and everything else (model
building, pruning, masks, saving, locks, loaders) — the per-level overhead, which should stay under 5 %.

    python bench/level_overhead.py [--levels 30] [--repeats 3] [--work /tmp/level_overhead] [-- extra flags]

Runs `lottery` on the embedded digits default in this process (imports timed separately), wrapping
the loop's evaluation (the test-set forward passes, and the accuracy and loss computed from their
logits) and the run's one data preparation to time them; training-step seconds are the loop's own
per-job `wall_seconds` (batching, forward, backward, optimiser and mask hooks). "other" is what is
left: the per-level overhead.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import sys
import time
from pathlib import Path

START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sparselab import main as cli  # noqa: E402
from sparselab.train import experiment, loop  # noqa: E402
cli.runners()["lottery"]  # the chosen command's modules, which main imports at its first call

IMPORTS = time.perf_counter() - START


def one_run(root: Path, levels: int, extra: list[str]) -> dict[str, float]:
    shutil.rmtree(root, ignore_errors=True)
    seconds = {"evaluation": 0.0, "data (once)": 0.0}
    # (module, function, what it counts as): train-set and test-set evaluation; data loading (once per run)
    wrapped = [(loop, "evaluate", "evaluation"), (loop, "predict", "evaluation"),
               (loop, "prediction_metrics", "evaluation"), (experiment, "prepare_data", "data (once)")]

    def timed(function, key):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                seconds[key] += time.perf_counter() - t
        return wrapper

    real = [(module, name, getattr(module, name)) for module, name, _ in wrapped]
    for module, name, key in wrapped:
        setattr(module, name, timed(getattr(module, name), key))
    try:
        t = time.perf_counter()
        assert cli.main(["lottery", f"--root={root}", f"--levels={levels}", "--quiet", *extra]) == 0
        total = time.perf_counter() - t
    finally:
        for module, name, function in real:
            setattr(module, name, function)
    train = 0.0
    for metrics in root.glob("lottery_*/replicate_1/level_*/main/metrics.csv"):
        with open(metrics) as f:
            rows = list(csv.DictReader(f))
        train += float(rows[-1]["wall_seconds"])
    other = total - train - seconds["evaluation"] - seconds["data (once)"]
    return {"total": total, "training steps": train, "evaluation": seconds["evaluation"],
            "data (once)": seconds["data (once)"], "other": other, "other per level": other / (levels + 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/level_overhead"))
    parser.add_argument("extra", nargs="*", help="more lottery flags (after --)")
    args = parser.parse_args()
    runs = []
    for r in range(args.repeats):
        runs.append(one_run(args.work / f"run{r}", args.levels, args.extra))
        print(f"run {r + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in runs[-1].items()), flush=True)
    shutil.rmtree(args.work, ignore_errors=True)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"\nimports {IMPORTS:.2f} s (once per process, not counted below)")
    print(f"{args.levels}-level digits lottery, medians of {args.repeats} runs:")
    for key in ("training steps", "evaluation", "data (once)", "other"):
        print(f"  {key:15s} {med[key]:8.2f} s  {100 * med[key] / med['total']:5.1f} %")
    print(f"  {'total':15s} {med['total']:8.2f} s   (other per level {1000 * med['other per level']:.0f} ms)")
    share = med["other"] / med["total"]
    print(f"outside training steps, evaluation and the one data load: {100 * share:.1f} % "
          f"({'ok' if share < 0.05 else 'ABOVE 5 %'})")
    return 0 if share < 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
