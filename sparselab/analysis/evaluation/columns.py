"""The report hook: a finished job's evaluation results as extra report columns, from the finished
`evaluate_<hash>/` beside it that evaluated its current weights, the last one finished (damaged: none)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sparselab.core import integrity, layout
from sparselab.store.job import FinishedJob

# column -> y-axis title of `report --plot --metric=<column>` (fractions, drawn in percent)
PLOT_COLUMNS: dict[str, str] = {
    "ece": "expected calibration error, 15 bins (%)",
    "auroc_msp": "OOD detection AUROC, max-softmax (%)",
    "auroc_energy": "OOD detection AUROC, energy (%)",
    "fpr95_msp": "OOD FPR at 95% TPR, max-softmax (%)",
    "fpr95_energy": "OOD FPR at 95% TPR, energy (%)",
    "robust_acc_fgsm": "robust accuracy under FGSM (%)",
    "robust_acc_pgd": "robust accuracy under PGD (%)",
}
COLUMNS: tuple[str, ...] = ("nll", "brier", *PLOT_COLUMNS)


def evaluation_columns(job_dir: Path | str) -> dict[str, Any]:
    from sparselab.analysis.evaluation.runner import PREFIX, weights_digest

    job_dir = Path(job_dir)
    candidates = []
    for folder in job_dir.parent.glob(f"{PREFIX}*"):
        done = folder / layout.DONE
        if not done.is_file():
            continue
        try:
            result = FinishedJob(folder, check_files=True).result
        except integrity.DamagedFile:
            continue
        if result.get("job") == job_dir.name:
            candidates.append((done.stat().st_mtime_ns, folder.name, result))
    if not candidates:
        return {}
    try:
        current = weights_digest(job_dir)
    except OSError:
        return {}
    matching = [c for c in candidates if c[2].get("weights_sha256") == current]
    if not matching:
        return {}
    result = max(matching, key=lambda c: c[:2])[2]
    return {k: result[k] for k in COLUMNS if result.get(k) is not None}
