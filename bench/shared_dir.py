"""Where the project's `shared/` folder is (real MNIST/Fashion-MNIST in `data/`, tools in `tools/`): beside
the checkout, or beside a worktree's parent (/work/wt/<name>); the benchmarks run without it."""
from __future__ import annotations

from pathlib import Path

_BENCH = Path(__file__).resolve().parent
SHARED = next((p / "shared" for p in _BENCH.parents if (p / "shared").is_dir()), _BENCH.parents[1] / "shared")
SHARED_DATA = SHARED / "data"
