"""Enumerate bad inputs over every flag of every bundle and count how each one ends.

    python bench/bad_inputs.py [--verbose]

For each typed field (int, float, step, step list, bool, choice, name) a set of values that cannot be
right (non-ASCII digits, underscores, hex, inf/nan, 5000 digits, malformed or absurd steps, unknown
names) plus hand-written cross-field cases (warm-up after the end, a milestone after the end, a file as
--root, ...). Each runs in-process through `main.main`; reaching a job (`run_once`) is counted as
"accepted" and stopped there, so nothing trains. Prints "N inputs, M one-line exit 2, ...".
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sparselab import main as cli  # noqa: E402
from sparselab.data.hparams import DatasetHparams  # noqa: E402
from sparselab.experiments.ensembles.hparams import EnsembleHparams  # noqa: E402
from sparselab.core.cli import JobHparams  # noqa: E402
from sparselab.experiments.lottery.hparams import FinetuneHparams, LevelsHparams, RewindHparams  # noqa: E402
from sparselab.models.hparams import ModelHparams  # noqa: E402
from sparselab.platforms.base import PlatformHparams  # noqa: E402
from sparselab.sparsity.dst_hparams import DSTHparams  # noqa: E402
from sparselab.sparsity.hparams import PruningHparams  # noqa: E402
from sparselab.sparsity.init_hparams import InitPruningHparams  # noqa: E402
from sparselab.train import job  # noqa: E402
from sparselab.train.hparams import TrainingHparams  # noqa: E402

BIG = "9" * 5000
BAD = {
    int: ["\uff11", "\u0661", "1_0", "0x10", "1.5", "1e3", "99999999999999999999", BIG, "", "one"],
    float: ["inf", "-inf", "nan", "infinity", "\uff10.5", "0_1", "1e999", BIG, "0x1p-2", ""],
    "one": ["\uff14ep", "\u0664it", "4ep2ep", "1.5ep", "ep", "4EP", BIG + "it", "2000000000it", "50000000ep", "-1ep"],
    "list": ["\uff14ep", "4ep,,5ep", "4ep;5ep", BIG + "it", "1e3"],
    bool: ["maybe", "2", "\uff11"],
    "choice": ["nope", "SGD", "\uff53gd"],
    "name": ["\uff4eope", "caf\u00e9"],
}
COMMAND_OF = {JobHparams: "train", PlatformHparams: "train", DatasetHparams: "train", ModelHparams: "train",
              TrainingHparams: "train", InitPruningHparams: "train", DSTHparams: "train", EnsembleHparams: "train",
              PruningHparams: "lottery", RewindHparams: "lottery", LevelsHparams: "lottery",
              FinetuneHparams: "finetune"}
SKIP = {"root", "dataset_root", "slurm_folder", "slurm_partition", "device", "default_hparams", "replicates",
        "platform"}  # free-form paths and names, and the platform switch (tested by hand below)
HAND = [
    ["train", "--training_steps=0ep"], ["train", "--training_steps=0it"],
    ["train", "--warmup_steps=100ep", "--training_steps=2it"], ["train", "--milestone_steps=30ep"],
    ["train", "--milestone_steps=5ep,115it"], ["train", "--regain_pruned_weights_steps=20ep"],
    ["train", "--lr=1e6"], ["train", "--lr=-1"], ["train", "--gamma=2"], ["train", "--momentum=1"],
    ["train", "--replicate=0"], ["train", "--data_order_seed=-1"], ["train", "--threads=0"],
    ["train", "--batch_size=0"], ["train", "--default_hparams=nope"], ["train", "--model_name=lenet_9999999"],
    ["train", "--root={file}"], ["train", "--root={file}/sub"], ["train", "--root={tmp}/" + "x" * 300],
    ["train", "--root=/proc/sparselab_bench"], ["lottery", "--rewinding_steps=30ep"], ["lottery", "--levels=5000"],
    ["finetune", "--finetune_milestone_steps=10ep"], ["finetune", "--finetune_training_steps=0ep"],
    ["lottery_branch", "nope"], ["lottery_branch", "retrain", "--levels=0", "--retrain_t_training_steps=0ep"],
    ["train_branch", "oneshot_prune", "--levels=0", "--training_steps=0ep"], ["list", "--root={tmp}/nope"],
    ["report", "--compare", "{tmp}/nope"], ["evaluate_ensemble", "{tmp}/nope"], ["nope"],
    # flags outside the bundles: the expansion flags, branch levels, N:M patterns, evaluation commands
    ["train", "--workers=\uff11"], ["train", "--workers=\u0661"], ["train", "--workers=1_0"], ["train", "--workers=0"],
    ["train", "--workers=99999"], ["train", "--workers=2", "--workers_per_gpu=\u0662"],
    ["train", "--workers_per_gpu=2"], ["train", "--replicates=\u0661-\u0663"], ["train", "--replicates=1_0"],
    ["train", "--replicates=3-1"], ["train", "--replicates=1-100000000"], ["train", "--replicates="],
    ["train", "--replicate=2", "--replicates=1-2"], ["train", "--sweep=lr=0.1,0.1"], ["train", "--sweep=nope=1"],
    ["lottery_branch", "randomly_prune", "--levels=\u0661"], ["lottery_branch", "randomly_prune", "--levels=1_0"],
    ["lottery_branch", "randomly_prune", "--levels=0-99999999999"], ["lottery_branch", "randomly_prune", "--levels="],
    ["train", "--init_density=0.5", "--sparsity_pattern=\u0662:4"], ["train", "--init_density=0.5", "--sparsity_pattern=4:2"],
    ["evaluate_ensemble", "{tmp}", "--bins=1_5"], ["evaluate_ensemble", "{tmp}", "--bins=0"],
    ["evaluate_ensemble", "{tmp}", "--threads=\u0661"], ["evaluate", "{tmp}", "--threads=\uff11"],
    ["train", "--root="], ["report", "--path", "{tmp}/nope"], ["verify", "--root={tmp}/nope"],
    ["report", "train", "--root={tmp}", "--csv={tmp}/nope/x.csv"], ["train", "--model_name=" + "x" * 100000],
]


class _Accepted(Exception):
    pass


def _kind(cls: type, f: dataclasses.Field):
    if f.metadata.get("step"):
        return f.metadata["step"]
    if f.metadata.get("choices"):
        return "choice"
    kind, _ = cls.field_type(f.name)
    if kind is str:
        return "name" if f.metadata.get("hashed", True) else None
    return kind


def inputs() -> list[list[str]]:
    out = []
    for cls, command in COMMAND_OF.items():
        for f in dataclasses.fields(cls):
            kind = _kind(cls, f)
            if f.name in SKIP or kind is None:
                continue
            _, optional = cls.field_type(f.name)
            # '' means None (the default) for an optional field: a good input, left out
            out += [[command, f"--{f.name}={value}"] for value in BAD[kind] if value or not optional]
    return out + HAND


def run_one(argv: list[str], tmp: Path) -> str:
    root = tmp / "runs"
    argv = [a.format(file=tmp / "afile", tmp=tmp) for a in argv]
    if argv[0] in ("train", "lottery", "finetune", "lottery_branch", "train_branch") and \
            not any(a.startswith("--root=") for a in argv):
        argv.append(f"--root={root}")
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = cli.main(argv)
    except SystemExit as e:
        status = e.code
    except _Accepted:
        return "accepted"
    except Exception as e:  # noqa: BLE001 - what we count
        return f"traceback {type(e).__name__}"
    text = err.getvalue()
    files = [p for p in tmp.rglob("*") if p.is_file() and p.name != "afile"]
    if files:
        return "wrote files"
    if status == 2 and text.startswith("error: ") and text.count("\n") == 1:
        return "one-line exit 2" + (f": {text.strip()[:110]}" if VERBOSE else "")
    return f"exit {status}, {text.count(chr(10))} lines"


VERBOSE = "--verbose" in sys.argv


def main() -> None:

    def accept(*args, **kwargs):
        raise _Accepted

    job.run_once = accept  # every runner calls job.run_once by attribute: nothing trains
    counts: dict[str, int] = {}
    cases = inputs()
    for argv in cases:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            (tmp / "afile").write_text("x")
            outcome = run_one(argv, tmp)
        if VERBOSE or outcome != "one-line exit 2":
            print(f"{' '.join(argv)[:70]:70s} {outcome}")
        outcome = outcome.split(":")[0]
        counts[outcome] = counts.get(outcome, 0) + 1
    parts = [f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    print(f"{len(cases)} inputs, " + ", ".join(parts))


if __name__ == "__main__":
    main()
