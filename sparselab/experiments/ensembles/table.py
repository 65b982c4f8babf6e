"""The text table of an ensemble evaluation (printed by `foundations.table`)."""
from __future__ import annotations

from typing import Any, Sequence

from sparselab.core.table import Group, render

METRICS = ("accuracy", "nll", "ece", "brier")


def _cells(name: str, s: dict[str, float]) -> list[str]:
    return [name, f"{100 * s['accuracy']:8.2f}%", f"{s['nll']:8.4f}", f"{s['ece']:7.4f}", f"{s['brier']:7.4f}"]


def format_table(names: Sequence[str], result: dict[str, Any]) -> str:
    member_mean = {k: sum(s[k] for s in result["members"]) / len(result["members"]) for k in METRICS}
    rows = [_cells(name, s) for name, s in zip(names, result["members"])]
    rows += [_cells("mean of members", member_mean), _cells("ensemble (mean softmax)", result["ensemble"])]
    table = render([Group("", ["member", *METRICS], left={0})], rows, width=None, rule=True)
    return (f"{table}\npairwise disagreement {result['mean_disagreement']:.4f}   pairwise KL {result['mean_kl']:.4f}   "
            f"({len(names)} members, {result['examples']} test examples, ECE with {result['bins']} bins)")
