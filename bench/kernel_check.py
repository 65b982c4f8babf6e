"""Kernel time and peak memory of a 1-iteration ResNet-20 `train` run on CIFAR-format data (the
test set is evaluated at the start and the end), as `/usr/bin/time -f "%S %M"` reports them.

    python bench/kernel_check.py [--repeats 3] [--work /tmp/kernel_check] [-- extra train flags]

Required: at most 5 s in the kernel and below 1.25 GB resident (medians). The evaluation batch
decides both: at batch 1024 every ResNet-20 activation (64 MB) is above glibc's mmap ceiling, so
each batch maps and faults its memory in again.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cifar_format import write_cifar10  # noqa: E402
from side_by_side import run_child  # noqa: E402

MAX_SYS_SECONDS, MAX_RSS_GB = 5.0, 1.25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kernel_check"))
    parser.add_argument("extra", nargs="*", help="more train flags (after --), e.g. --eval_batch_size=1024")
    args = parser.parse_args()
    data = args.work / "data"
    write_cifar10(data)
    runs = []
    for r in range(args.repeats):
        root = args.work / f"run{r}"
        shutil.rmtree(root, ignore_errors=True)
        runs.append(run_child([sys.executable, "main.py", "train", "--default_hparams=cifar_resnet_20",
                               "--training_steps=1it", f"--dataset_root={data}", f"--root={root}", "--quiet",
                               *args.extra]))
        shutil.rmtree(root, ignore_errors=True)
        print(f"run {r + 1}: {runs[-1]['wall']:.1f} s wall, {runs[-1]['sys']:.2f} s sys, "
              f"{runs[-1]['rss_mb']:.0f} MB peak", flush=True)
    sys_s = statistics.median(r["sys"] for r in runs)
    rss_gb = statistics.median(r["rss_mb"] for r in runs) / 1024
    ok = sys_s <= MAX_SYS_SECONDS and rss_gb < MAX_RSS_GB
    print(f"median: {sys_s:.2f} s in the kernel (<= {MAX_SYS_SECONDS}), {rss_gb:.3f} GB peak resident "
          f"(< {MAX_RSS_GB}): {'ok' if ok else 'ABOVE TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
