"""The text table of an ensemble evaluation."""
from __future__ import annotations

from typing import Any, Sequence


def format_table(names: Sequence[str], result: dict[str, Any]) -> str:
    width = max(len("ensemble (mean softmax)"), *(len(n) for n in names))
    header = f"{'member'.ljust(width)}  {'accuracy':>9}  {'nll':>8}  {'ece':>7}  {'brier':>7}"
    lines = [header, "-" * len(header)]

    def line(name: str, s: dict[str, float]) -> str:
        return (f"{name.ljust(width)}  {100 * s['accuracy']:8.2f}%  {s['nll']:8.4f}  {s['ece']:7.4f}  "
                f"{s['brier']:7.4f}")

    for name, s in zip(names, result["members"]):
        lines.append(line(name, s))
    member_mean = {k: sum(s[k] for s in result["members"]) / len(result["members"])
                   for k in ("accuracy", "nll", "ece", "brier")}
    lines.append(line("mean of members", member_mean))
    lines.append(line("ensemble (mean softmax)", result["ensemble"]))
    lines.append(f"pairwise disagreement {result['mean_disagreement']:.4f}   pairwise KL {result['mean_kl']:.4f}   "
                 f"({len(names)} members, {result['examples']} test examples, ECE with {result['bins']} bins)")
    return "\n".join(lines)
