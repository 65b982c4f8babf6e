"""Digest every weights/mask file of a fixed set of small runs, to prove a refactor changes no number.

    python bench/golden_digests.py --out before.json            # on the commit before the change
    python bench/golden_digests.py --compare before.json        # after: exit 1 on any difference

Each run is a real command on the bundled digits data with short training; the digest of a `.pt`
file is taken over its tensors (names, dtypes, shapes, bytes), so it does not depend on the zip layout.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

COMMON = ["--threads=1", "--quiet", "--training_steps=30it"]
RUNS: dict[str, list[str]] = {
    "headline_lottery": ["lottery", "--pruning_strategy=random", "--levels=3"],
    "lottery_magnitude": ["lottery", "--levels=2"],
    "branch_randomly_reinitialize": ["lottery_branch", "randomly_reinitialize", "--levels=1-2"],
    "branch_randomly_prune": ["lottery_branch", "randomly_prune", "--levels=2", "--strategy=erk"],
    "branch_oneshot_prune": ["lottery_branch", "oneshot_prune", "--levels=1-2"],
    "branch_retrain": ["lottery_branch", "retrain", "--levels=1", "--retrain_t_training_steps=20it"],
    "rewindLR": ["rewindLR", "--levels=2"],
    "finetune": ["finetune", "--levels=2", "--finetune_lr=0.005"],
    "scratch": ["scratch", "--levels=2"],
    "dst_rigl": ["train", "--init_density=0.2", "--dst=rigl", "--dst_update_frequency=10"],
    "edst": ["train", "--init_density=0.2", "--dst=rigl", "--ensemble=edst", "--ensemble_members=2",
             "--dst_update_frequency=10"],
    "snip": ["train", "--init_density=0.1", "--init_pruning_strategy=snip"],
    "supermask": ["supermask", "--init_density=0.5", "--init_pruning_distribution=er", "--supermask_density=0.2",
                  "--levels=2"],
    "str": ["str", "--init_density=0.5", "--init_pruning_distribution=balanced", "--str_s_init=-3"],
}
# a branch reads the trunk that "lottery_magnitude" wrote; its flags must name that trunk
BRANCH_TRUNK = ["--levels=2"]


def tensor_digest(path: Path) -> str:
    """sha256 over every tensor of a torch file, in key order."""
    obj = torch.load(path, map_location="cpu", weights_only=True)
    h = hashlib.sha256()

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key in sorted(value, key=str):
                walk(f"{prefix}/{key}", value[key])
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(f"{prefix}/{i}", item)
        elif isinstance(value, torch.Tensor):
            t = value.detach().contiguous().cpu()
            h.update(f"{prefix}|{t.dtype}|{tuple(t.shape)}".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
        else:
            h.update(f"{prefix}={value!r}".encode())

    walk("", obj)
    return h.hexdigest()


def run_all(root: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name, argv in RUNS.items():
        run_root = root / ("trunk" if argv[0] == "lottery_branch" or name == "lottery_magnitude" else name)
        full = [sys.executable, "main.py", *argv, *COMMON, f"--root={run_root}"]
        subprocess.run(full, check=True, stdout=subprocess.DEVNULL)
    for path in sorted(root.rglob("*.pt")):
        rel = str(path.relative_to(root))
        if path.name.startswith(("weights", "mask")):
            out[rel] = {"digest": tensor_digest(path)}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", help="write the digests to this JSON file")
    g.add_argument("--compare", help="compare against this JSON file; exit 1 on any difference")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        digests = run_all(Path(tmp))
    if args.out:
        Path(args.out).write_text(json.dumps(digests, indent=1, sort_keys=True))
        print(f"{len(digests)} files digested -> {args.out}")
        return 0
    before = json.loads(Path(args.compare).read_text())
    missing = sorted(set(before) - set(digests))
    extra = sorted(set(digests) - set(before))
    changed = sorted(k for k in set(before) & set(digests) if before[k] != digests[k])
    for label, keys in (("missing", missing), ("new", extra), ("changed", changed)):
        for key in keys:
            print(f"{label}: {key}")
    same = len(set(before) & set(digests)) - len(changed)
    print(f"{same} identical, {len(changed)} changed, {len(missing)} missing, {len(extra)} new")
    return 1 if (missing or extra or changed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
