"""(a) Frankle & Carbin 2019: winning tickets of LeNet-300-100 on MNIST match or beat the dense network
down to a few per cent of the weights, while the same masks on a new random initialisation fall behind.

    python bench/reproduce/lth_lenet_mnist.py --root /work/repro_runs --out docs/figures
    python bench/reproduce/lth_lenet_mnist.py --quick --root /tmp/r --out /tmp/o   # CI scale, digits

Published setting: Adam lr 1.2e-3, batch 60, 50k iterations per level, iterative magnitude pruning with
rewinding to the initialisation (`lottery`), the `randomly_reinitialize` branch for the control.
Departures (stated in the table): every layer loses 20 % per level (`--pruning_distribution=layerwise`;
the paper prunes the output layer at 10 %, sparselab has one fraction for all tensors), and the weights
start from sparselab's `kaiming_normal` (OpenLTH's LeNet init; the paper used Glorot normal).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import common

PUBLISHED_STEPS = "50000it"
FULL = {"levels": 15, "replicates": 2, "reinit": "3,6,9,12,15", "dataset": "mnist"}
QUICK = {"levels": 2, "replicates": 2, "reinit": "2", "dataset": "digits", "steps": "40it"}
PAPER_LOWEST = 0.036  # the paper: tickets beat dense from ~50 % down to ~3.6 % of the weights


def flags(scale: dict[str, Any], steps: str) -> dict[str, Any]:
    return {"default_hparams": "mnist_lenet_300_100", "dataset_name": scale["dataset"],
            "model_name": "lenet_300_100", "model_init": "kaiming_normal", "optimizer_name": "adam",
            "lr": 0.0012, "batch_size": 60, "training_steps": steps, "pruning_distribution": "layerwise",
            "pruning_layers_to_ignore": "", "levels": scale["levels"]}


def judge(report: common.Report, density: dict[int, float], ticket: dict, reinit: dict) -> None:
    dense, dense_std = common.mean_std(ticket[0])
    tol = max(2 * dense_std, 0.001)
    down_to = [lv for lv in ticket if lv > 0 and density[lv] >= PAPER_LOWEST * 0.95]
    matched = [lv for lv in down_to if common.mean_std(ticket[lv])[0] >= dense - tol]
    outcome = (common.INCONCLUSIVE if not down_to or min(density[lv] for lv in down_to) > 0.1
               else common.HELD if len(matched) == len(down_to) else common.NOT_HELD)
    report.verdict(f"winning tickets match or beat dense down to {100 * min(density[lv] for lv in down_to):.1f} % "
                   "of the weights" if down_to else "winning tickets match dense", outcome,
                   f"HELD if the ticket mean is >= dense mean - {100 * tol:.2f} pp (2 dense stds, >= 0.1 pp) at every "
                   "level down to ~3.6 % density; INCONCLUSIVE if no level below 10 % was run")
    both = [lv for lv in reinit if lv in ticket]
    behind = [lv for lv in both if common.mean_std(reinit[lv])[0] < common.mean_std(ticket[lv])[0]]
    last = max(both) if both else None
    if last is None:
        outcome = common.INCONCLUSIVE
    else:
        (t, ts), (r, rs) = common.mean_std(ticket[last]), common.mean_std(reinit[last])
        clear = t - r > ts + rs
        outcome = common.HELD if clear and len(behind) * 2 >= len(both) else (
            common.NOT_HELD if r >= t else common.INCONCLUSIVE)
    report.verdict("randomly reinitialised tickets fall behind the winning tickets", outcome,
                   "HELD if at the sparsest reinitialised level the reinit mean is below the ticket mean by more "
                   "than the sum of their stds, and reinit is below the ticket at >= half of the reinit levels; "
                   "NOT HELD if reinit >= ticket at the sparsest level")


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--levels", type=int, default=None, help="REDUCTION: pruning levels (default 15, ~3.5 %%)")
    p.add_argument("--reinit_levels", default=None, help="levels of the randomly_reinitialize branch")
    args = p.parse_args(argv)
    scale = dict(QUICK if args.quick else FULL)
    scale.update({k: v for k, v in (("levels", args.levels), ("reinit", args.reinit_levels)) if v is not None})
    common.check_data(args, [scale["dataset"]])
    steps = args.training_steps or scale.get("steps", PUBLISHED_STEPS)
    n = args.replicates or scale["replicates"]
    trunk = flags(scale, steps)
    results = common.run(args, "lottery", replicates=f"1-{n}", **trunk)
    branch = common.run(args, "lottery_branch", "randomly_reinitialize", replicates=f"1-{n}",
                        **{**trunk, "levels": scale["reinit"]})
    rows = common.experiment_rows(results + branch)
    density = common.density_by_level(rows)
    ticket = common.by_level(rows, "main", "final_test_accuracy")
    reinit = common.by_level(rows, common.branch_series(rows), "final_test_accuracy")
    report = common.Report("lth_lenet_mnist", "Frankle & Carbin 2019: LeNet-300-100 lottery tickets on MNIST", [
        f"{'QUICK (digits, 8x8)' if args.quick else 'full'}: {scale['dataset']}, lottery levels 0-{scale['levels']} "
        f"(published figure: to ~1.7 % and below), {n} replicates, randomly_reinitialize at levels {scale['reinit']}",
        f"training: **{steps} per level** (published: {PUBLISHED_STEPS}"
        + ("" if steps == PUBLISHED_STEPS else "; REDUCED TRAINING LENGTH") + ")",
        "departures: output layer pruned at 20 % per level (paper: 10 %); kaiming_normal init (paper: Glorot)"])
    dense = common.mean_std(ticket[0])
    for lv, accs in ticket.items():
        r = reinit.get(lv)
        report.rows.append((f"level {lv}, density {100 * density[lv]:.1f} %: ticket / reinit",
                            "dense: ~98 %" if lv == 0 else
                            ("ticket >= dense" if density[lv] >= PAPER_LOWEST else "ticket falls below dense"),
                            f"{common.pct(*common.mean_std(accs))} / {common.pct(*common.mean_std(r)) if r else '-'}"))
    judge(report, density, ticket, reinit)
    plt = common.pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    common.plot_curve(ax, density, ticket, f"winning ticket (lottery, n={n})")
    common.plot_curve(ax, density, reinit, f"randomly reinitialised (n={n})")
    ax.axhline(100 * dense[0], color="grey", ls="--", lw=0.8, label="dense (level 0)")
    ax.axvline(100 * PAPER_LOWEST, color="tab:red", ls=":", lw=0.8, label="paper: tickets >= dense down to 3.6 %")
    ax.set(xscale="log", xlabel="weights remaining (%)", ylabel="final test accuracy (%)",
           title=f"LeNet-300-100 on {scale['dataset']}, {steps} per level (mean ± std)")
    ax.minorticks_off()
    ax.set_xticks([100, 51.2, 21, 8.6, 3.5, 1.4], ["100", "51.2", "21", "8.6", "3.5", "1.4"])
    ax.invert_xaxis()
    ax.legend(fontsize=8)
    common.save_figure(fig, Path(args.out), "lth_lenet_mnist")
    report.write(Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
