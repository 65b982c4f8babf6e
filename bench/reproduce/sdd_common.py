"""What the two SDD reproductions share: the `sdd_mnist_lenet_300_100` trunk, the figure's published
values and locating the dip and the second descent on a curve.

Published values: He et al. 2022, Fig. 1 (LeNet-300-100, MNIST, 20 % random labels), read off the
figure in /work/shared/reference/openlth_and_sdd_behaviour.md §16 (about ±0.5 pp).
"""
from __future__ import annotations

import argparse
from typing import Any

import common

RECIPE = "sdd_mnist_lenet_300_100"
PUBLISHED_STEPS = "160ep"
PUBLISHED_LEVELS = 24
PUBLISHED = {"dense": (0, 0.835), "dip": (10, 0.765), "best": (20, 0.955), "last": (24, 0.865)}
LEVEL_SLACK = 3  # a located dip / best level counts as "at the published level" within this many levels
MIN_DEPTH = 0.02  # a dip and a second descent must each move the test accuracy by at least 2 pp
QUICK = {"dataset_name": "digits", "training_steps": "2ep", "levels": 3}


def trunk_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The recipe's flags, with the scale's dataset, length and levels."""
    flags: dict[str, Any] = {"default_hparams": RECIPE, "levels": args.levels or PUBLISHED_LEVELS,
                             "replicates": f"1-{args.replicates or 1}"}
    if args.quick:
        flags.update(QUICK, levels=args.levels or QUICK["levels"])
    if args.training_steps:
        flags["training_steps"] = args.training_steps
    return flags


def steps_line(flags: dict[str, Any], quick: bool) -> list[str]:
    steps = flags.get("training_steps", PUBLISHED_STEPS)
    return [f"{'QUICK (digits, 8x8)' if quick else 'full'}: recipe {RECIPE} (SGD 0.1, batch 128, 20 % random "
            f"labels, global magnitude pruning 20 %/level, OpenLTH count), levels 0-{flags['levels']} "
            f"(published: 0-{PUBLISHED_LEVELS}), {flags['replicates'].split('-')[1]} replicate(s) (published figure: "
            "error bars over repeated runs)",
            f"training: **{steps} per level** (published: {PUBLISHED_STEPS}"
            + ("" if steps == PUBLISHED_STEPS else "; REDUCED TRAINING LENGTH") + ")"]


def add_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--levels", type=int, default=None, help="REDUCTION: trunk levels (published: 24)")


def mean_curve(rows: list[dict[str, Any]], series: str, metric: str = "final_test_accuracy") -> dict[int, float]:
    return {lv: common.mean_std(v)[0] for lv, v in common.by_level(rows, series, metric).items()}


def locate(curve: dict[int, float]) -> dict[str, tuple[int, float] | None]:
    """The dip (lowest sparse point before the best later point) and the second descent's best point.

    Over all pairs (dip level a, later level b) the one with the largest rise curve[b] - curve[a] whose
    dip lies at least MIN_DEPTH below dense; None where no such pair exists.
    """
    dense = curve.get(0)
    best_pair, best_rise = None, MIN_DEPTH
    sparse = [lv for lv in curve if lv > 0]
    for a in sparse:
        if dense is None or curve[a] > dense - MIN_DEPTH:
            continue
        for b in (lv for lv in sparse if lv > a):
            if curve[b] - curve[a] >= best_rise:
                best_pair, best_rise = (a, b), curve[b] - curve[a]
    if best_pair is None:
        return {"dip": None, "best": None}
    a, b = best_pair
    return {"dip": (a, curve[a]), "best": (b, curve[b])}


def at(point: tuple[int, float] | None) -> str:
    return "none" if point is None else f"{common.pct(point[1])} at level {point[0]}"


def shape_outcome(found: dict[str, Any], memorised: bool | None) -> str:
    """HELD: dip and second descent within LEVEL_SLACK levels of the published ones; NOT HELD: no dip
    followed by a rise at all while the dense network memorised its noisy labels; INCONCLUSIVE else."""
    dip, best = found["dip"], found["best"]
    if dip and best and abs(dip[0] - PUBLISHED["dip"][0]) <= LEVEL_SLACK \
            and abs(best[0] - PUBLISHED["best"][0]) <= LEVEL_SLACK:
        return common.HELD
    return common.NOT_HELD if (dip is None and memorised) else common.INCONCLUSIVE


CRITERION = (f"HELD if the test accuracy dips >= {100 * MIN_DEPTH:.0f} pp below dense and then rises >= "
             f"{100 * MIN_DEPTH:.0f} pp above the dip, with dip and peak within {LEVEL_SLACK} levels of the "
             f"published levels {PUBLISHED['dip'][0]} and {PUBLISHED['best'][0]}; NOT HELD if there is no such "
             "dip and rise although the dense network fits its training set (>= 99 %, the regime of the claim); "
             "INCONCLUSIVE otherwise (e.g. a reduced run whose dense network does not memorise the noisy labels)")
