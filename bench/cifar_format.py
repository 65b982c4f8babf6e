"""Write generated CIFAR-10 data in the python-version format (`cifar-10-batches-py/data_batch_1..5`,
`test_batch`: pickled dicts with b"data" uint8 [N, 3072] and b"labels"), for benchmarks and device
checks where the real archive is absent. Random pixels: for speed and format only.

The files are in the official archive's form (Python-2 pickles of `str`, written by the project's
`shared/tools/cifar_py2.py`) where that tool is beside the checkout, as a user's download would be;
elsewhere (a device machine without `shared/`) Python-3 protocol-2 pickles, which read ~1.3 s slower
for the 60,000 images (their raw bytes go through a latin-1 text string).

    python bench/cifar_format.py DATASET_ROOT [--train 50000] [--test 10000]
"""
from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

from shared_dir import SHARED

SUBFOLDER = Path("cifar10") / "cifar-10-batches-py"
ARCHIVE_WRITER = SHARED / "tools" / "cifar_py2.py"


def write_cifar10(dataset_root: Path, train: int = 50000, test: int = 10000, seed: int = 0) -> Path:
    """Write the batches under `dataset_root` (the --dataset_root of a run) unless present; return the folder."""
    folder = Path(dataset_root) / SUBFOLDER
    if (folder / "test_batch").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    if ARCHIVE_WRITER.exists():
        subprocess.run([sys.executable, str(ARCHIVE_WRITER), str(folder), "cifar10", f"--train={train}",
                        f"--test={test}", f"--seed={seed}"], check=True, stdout=subprocess.DEVNULL)
        return folder
    rng = np.random.default_rng(seed)
    batches = [(f"data_batch_{i}", train // 5) for i in range(1, 6)] + [("test_batch", test)]
    for name, n in batches:
        batch = {b"batch_label": name.encode(), b"labels": rng.integers(0, 10, n).tolist(),
                 b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 b"filenames": [b"generated_%05d.png" % i for i in range(n)]}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
    return folder


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset_root", type=Path)
    parser.add_argument("--train", type=int, default=50000)
    parser.add_argument("--test", type=int, default=10000)
    a = parser.parse_args()
    print(f"CIFAR-10 format written to {write_cifar10(a.dataset_root, a.train, a.test)}")
