"""(d) Liu et al. 2022 (Random_Pruning): the gap between a randomly pruned (static sparse, random ERK mask)
and the dense network closes as the network gets wider. Here: MLPs lenet_<3w>_<w> of increasing width.

    python bench/reproduce/random_pruning_width.py --root /work/repro_runs --out docs/figures
    python bench/reproduce/random_pruning_width.py --quick --root /tmp/r --out /tmp/o   # CI scale, digits

The optimiser, schedule and mask are the Random_Pruning CIFAR recipe (`rp_cifar10_resnet_erk`: SGD 0.1,
Nesterov momentum 0.9, wd 5e-4, batch 128, lr x0.1 at 1/2 and 3/4 of training, random ERK mask at
density 0.05, no init scaling); the paper has no MNIST run, so no MNIST number is published.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import common

PUBLISHED_STEPS = 160  # epochs, the recipe's length
FULL = {"datasets": ["fashion_mnist", "mnist"], "widths": [25, 50, 100, 200], "replicates": 2}
QUICK = {"datasets": ["digits"], "widths": [8, 32], "replicates": 2, "epochs": 4}
DENSITY = 0.05


def flags(dataset: str, width: int, epochs: int, sparse: bool) -> dict[str, Any]:
    out = {"dataset_name": dataset, "model_name": f"lenet_{3 * width}_{width}", "model_init": "kaiming_normal",
           "optimizer_name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4,
           "batch_size": 128, "training_steps": f"{epochs}ep",
           "milestone_steps": f"{epochs // 2}ep,{(3 * epochs) // 4}ep", "gamma": 0.1}
    if sparse:
        out.update(init_density=DENSITY, init_pruning_strategy="random", init_pruning_distribution="erk",
                   init_scale="none")
    return out


def measure(args: argparse.Namespace, dataset: str, width: int, epochs: int, n: int) -> dict[str, tuple]:
    """Mean ± std final test accuracy of the dense and the random sparse network of one width."""
    out = {}
    for sparse in (False, True):
        results = common.run(args, "train", replicates=f"1-{n}", **flags(dataset, width, epochs, sparse))
        accs = common.by_level(common.experiment_rows(results), "main", "final_test_accuracy")[0]
        out["sparse" if sparse else "dense"] = common.mean_std(accs)
    return out


def judge(report: common.Report, dataset: str, widths: list[int], gaps: list[tuple[float, float]]) -> str:
    first, last = gaps[0], gaps[-1]
    slack = first[1] + last[1]
    steps_down = all(b[0] <= a[0] + 0.001 for a, b in zip(gaps, gaps[1:]))
    if last[0] < first[0] - slack and last[0] <= 0.5 * first[0] and steps_down:
        outcome = common.HELD
    elif last[0] >= first[0]:
        outcome = common.NOT_HELD
    else:
        outcome = common.INCONCLUSIVE
    return report.verdict(
        f"{dataset}: the dense - random-sparse gap closes as width grows ({widths[0]} -> {widths[-1]})", outcome,
        "HELD if the gap never grows by more than 0.1 pp from one width to the next, and the widest gap is below "
        "half the narrowest and below it by more than the two stds; NOT HELD if the widest gap is not smaller")


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--datasets", default=None, help="comma list (default: fashion_mnist,mnist)")
    args = p.parse_args(argv)
    scale = QUICK if args.quick else FULL
    datasets = args.datasets.split(",") if args.datasets else scale["datasets"]
    common.check_data(args, datasets)
    epochs = int(args.training_steps.removesuffix("ep")) if args.training_steps else scale.get("epochs",
                                                                                              PUBLISHED_STEPS)
    n = args.replicates or scale["replicates"]
    widths = scale["widths"]
    report = common.Report("random_pruning_width", "Random pruning: the gap to dense closes with width (MLPs)", [
        f"{'QUICK (digits)' if args.quick else 'full'}: datasets {', '.join(datasets)}; MLPs lenet_<3w>_<w>, "
        f"w = {', '.join(map(str, widths))}; {n} replicates; random ERK mask at density {DENSITY}",
        f"training: **{epochs} epochs per network** (published recipe: {PUBLISHED_STEPS} epochs"
        + ("" if epochs == PUBLISHED_STEPS else f"; REDUCED to {epochs / PUBLISHED_STEPS:.3g}x") + ")"])
    plt = common.pyplot()
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.5 * len(datasets), 3.4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        gaps = []
        for w in widths:
            m = measure(args, dataset, w, epochs, n)
            gap = (m["dense"][0] - m["sparse"][0], (m["dense"][1] ** 2 + m["sparse"][1] ** 2) ** 0.5)
            gaps.append(gap)
            report.rows.append((f"{dataset} w={w}: dense / random d={DENSITY} / gap (pp)",
                                "gap shrinks with width (CIFAR ResNets; no MNIST number)",
                                f"{common.pct(*m['dense'])} / {common.pct(*m['sparse'])} / "
                                f"{100 * gap[0]:.2f} ± {100 * gap[1]:.2f}"))
        ax.errorbar(widths, [100 * g for g, _ in gaps], yerr=[100 * s for _, s in gaps], marker="o", capsize=3)
        ax.axhline(0, color="grey", lw=0.8, ls="--")
        ax.set(xscale="log", xlabel="width w (hidden layers 3w, w)", ylabel="dense - random sparse (pp)",
               title=f"{dataset}, density {DENSITY}, {epochs} ep")
        ax.minorticks_off()
        ax.set_xticks(widths, [str(w) for w in widths])
        judge(report, dataset, widths, gaps)
    common.save_figure(fig, Path(args.out), "random_pruning_width")
    report.write(Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
