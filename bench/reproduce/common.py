"""What the reproduction scripts share: their flags, running sparselab in-process, reading report rows,
the published-vs-measured table, the verdict line and the figure.

Every training goes through the public API (`sparselab.run`), every number is read back through
`sparselab.report`; nothing here trains or evaluates a network itself. Jobs are cached in --root, so a
rerun (or a larger run after a reduced one) reuses every finished job.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sparselab  # noqa: E402
from shared_dir import SHARED_DATA  # noqa: E402

HELD, NOT_HELD, INCONCLUSIVE = "HELD", "NOT HELD", "INCONCLUSIVE"


def parser(description: str) -> argparse.ArgumentParser:
    """The flags every reproduction takes; a script adds its own scale overrides."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="CI scale on the bundled digits data (minutes)")
    p.add_argument("--root", default="repro_runs", help="results root (jobs cached there; a rerun resumes)")
    p.add_argument("--out", default="repro_out", help="folder for the figure (PNG, PDF) and the table (.md)")
    p.add_argument("--dataset_root", default=str(SHARED_DATA), help="folder holding mnist/ and fashion_mnist/")
    p.add_argument("--threads", type=int, default=1, help="CPU threads per training process")
    p.add_argument("--replicates", type=int, default=None, help="replicates (default: the script's scale)")
    p.add_argument("--training_steps", default=None,
                   help="REDUCTION: train each network this long instead of the published length "
                        "(stated beside every number)")
    return p


def fail(message: str) -> None:
    """One `error:` line and exit status 2, the way sparselab's commands fail."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def check_data(args: argparse.Namespace, datasets: Iterable[str]) -> None:
    if args.quick:
        return
    for name in datasets:
        if not (Path(args.dataset_root) / name).is_dir():
            fail(f"no {name}/ under --dataset_root={args.dataset_root} (the full scale needs the real data)")


def run(args: argparse.Namespace, command: str, *words: str, **flags: Any) -> list[sparselab.Result]:
    """`sparselab <command> <words> <flags>` in this process under the script's root and threads."""
    flags = {"root": args.root, "threads": args.threads, "quiet": True, **flags}
    if not args.quick:
        flags["dataset_root"] = args.dataset_root
    try:
        result = sparselab.run(command, *words, **flags)
    except sparselab.UsageError as e:
        fail(str(e))
    except sparselab.JobFailed as e:  # the job's own error was printed above; finished jobs stay cached
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(1) from None
    return list(result)  # a Result iterates over its jobs (itself for one job)


def experiment_rows(results: Sequence[sparselab.Result]) -> list[dict[str, Any]]:
    """Report rows of the experiment folders the results belong to (each folder once)."""
    folders = sorted({r.path.parent if r.path.name.startswith("replicate_") else r.path for r in results})
    return sparselab.report(*folders)


def by_level(rows: Iterable[dict[str, Any]], series: str, metric: str) -> dict[int, list[float]]:
    """level -> the metric of each finished replicate of one series (`main` or a branch's label)."""
    out: dict[int, list[float]] = {}
    for row in rows:
        if row["series"] == series and row["status"] == "done" and row.get(metric) is not None:
            out.setdefault(int(row["level"]), []).append(float(row[metric]))
    return dict(sorted(out.items()))


def density_by_level(rows: Iterable[dict[str, Any]]) -> dict[int, float]:
    return {int(r["level"]): float(r["density"]) for r in rows if r["series"] == "main" and r.get("density")}


def branch_series(rows: Iterable[dict[str, Any]]) -> str:
    """The label the report gives the (single) branch series of an experiment."""
    names = sorted({r["series"] for r in rows if r["series"] != "main"})
    if len(names) != 1:
        fail(f"expected one branch series in the report, found {names or 'none'}")
    return names[0]


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def pct(value: float | None, std: float | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{100 * value:.2f} %" + ("" if std is None else f" ± {100 * std:.2f}")


@dataclass
class Report:
    """The markdown table of one reproduction: scale, published vs measured rows, verdict lines."""

    name: str
    title: str
    scale: list[str]
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # quantity, published, measured
    verdicts: list[str] = field(default_factory=list)

    def verdict(self, claim: str, outcome: str, criterion: str) -> str:
        line = f"**{outcome}**: {claim} (criterion: {criterion})"
        self.verdicts.append(line)
        return outcome

    def markdown(self) -> str:
        lines = [f"# {self.title}", "", "Scale run:", "", *[f"- {s}" for s in self.scale], "",
                 "| quantity | published | measured |", "|---|---|---|",
                 *[f"| {q} | {p} | {m} |" for q, p, m in self.rows], "", "Verdict:", "",
                 *[f"- {v}" for v in self.verdicts], ""]
        return "\n".join(lines)

    def write(self, out: Path) -> Path:
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{self.name}.md"
        tmp = path.with_suffix(".md.tmp")
        tmp.write_text(self.markdown())
        tmp.replace(path)
        print(self.markdown())
        print(f"table: {path}")
        return path


def save_figure(fig: Any, out: Path, name: str) -> list[Path]:
    """The figure as PNG and PDF, each written under a temporary name first."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "pdf"):
        path = out / f"{name}.{ext}"
        tmp = out / f".{name}.tmp.{ext}"
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
        tmp.replace(path)
        paths.append(path)
    print(f"figure: {', '.join(map(str, paths))}")
    return paths


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curve(ax: Any, xs: dict[int, float], ys: dict[int, list[float]], label: str, **style: Any) -> None:
    """Mean ± std over replicates against a density axis (per cent, log scale, decreasing)."""
    levels = [lv for lv in ys if lv in xs]
    means = [mean_std(ys[lv]) for lv in levels]
    ax.errorbar([100 * xs[lv] for lv in levels], [100 * m for m, _ in means],
                yerr=[100 * s for _, s in means], capsize=3, marker="o", ms=3, label=label, **style)


def sparsity_axis(ax: Any) -> None:
    """Sparsity (%) on an axis where every pruning level (x0.8 density) is the same width, SDD's ticks."""
    import numpy as np

    top = 100.0001
    ax.set_xscale("function", functions=(lambda x: -np.log1p(-np.asarray(x) / top),
                                         lambda y: top * (1 - np.exp(-np.asarray(y)))))
    ticks = [0, 58.9, 83.2, 93.1, 97.2, 98.8, 99.5]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlim(-1, 99.7)
