"""STR (Kusupati et al. 2020) inside a fixed ER mask (Gadhikar et al. 2023, `STRConvER`):
w_eff = m_ER * sign(w) * relu(|w| - sigmoid(s_n)), one learned s_n per tensor. The last row of
`layer_densities.csv` gives the ratios of "STR-induced ER" (`read_str_densities`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from sparselab.core import integrity
from sparselab.core import io as fio
from sparselab.core.csvfile import read_rows
from sparselab.core.errors import UsageError
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.reparam import ReparamNet, key

LAYER_DENSITIES_FILE = "layer_densities.csv"
S_INIT = -200.0  # sparse_to_sparse STR/configs/largescale/resnet18-cifar-str-*.yaml: sInit_value


def soft_threshold(weight: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    return torch.sign(weight) * torch.relu(weight.abs() - torch.sigmoid(s))


class STRNet(ReparamNet):
    def __init__(self, net: nn.Module, er_mask: Mask, s_init: float = S_INIT) -> None:
        super().__init__(net, er_mask)
        self.thresholds = nn.ParameterDict({key(n): nn.Parameter(torch.full((), float(s_init), device=w.device))
                                            for n, w in self.stored().items()})

    def effective(self, name: str, weight: torch.Tensor) -> torch.Tensor:
        return self.er_mask(name).to(weight.dtype) * soft_threshold(weight, self.thresholds[key(name)])

    @torch.no_grad()
    def densities(self) -> dict[str, Any]:
        """{"density": overall, "density[<tensor>]": ..., "threshold[<tensor>]": sigmoid(s)}."""
        row: dict[str, Any] = {}
        kept = total = 0
        for name, w in self.effective_weights().items():
            nonzero = int(torch.count_nonzero(w))
            kept, total = kept + nonzero, total + w.numel()
            row[f"density[{name}]"] = nonzero / w.numel()
            row[f"threshold[{name}]"] = float(torch.sigmoid(self.thresholds[key(name)]))
        return {"density": kept / total if total else 1.0, **row}


class DensityHistory:
    def __init__(self, names: list[str], rows: list[dict[str, Any]] | None = None) -> None:
        self.names = names
        self.rows = [dict(r) for r in rows or []]

    def add(self, row: dict[str, Any]) -> None:
        self.rows = [r for r in self.rows if r["iteration"] != row["iteration"]] + [dict(row)]
        self.rows.sort(key=lambda r: r["iteration"])

    def to_csv(self) -> str:
        columns = ["iteration", "epoch", "density", *(f"density[{n}]" for n in self.names),
                   *(f"threshold[{n}]" for n in self.names)]
        return fio.csv_text(columns, self.rows)

    def save(self, directory: Path) -> None:
        fio.write_text(Path(directory) / LAYER_DENSITIES_FILE, self.to_csv())


def check_str_job(directory: Path | str) -> Path:
    """The layer-density file of a finished `str` job; UsageError if there is none."""
    path = Path(directory) / LAYER_DENSITIES_FILE
    if not (Path(directory) / integrity.DONE_FILE).exists() or not path.exists():
        raise UsageError(f"--str_ratios_from={directory}: not a finished str job (no {integrity.DONE_FILE} "
                         f"or {LAYER_DENSITIES_FILE}); give the job directory .../replicate_<R>/main of `str`")
    return path


def read_str_densities(directory: Path | str) -> tuple[dict[str, float], float]:
    """({tensor: final density}, overall final density) of a finished `str` job (file checked first)."""
    path = check_str_job(directory)
    integrity.verify_file(path)
    rows = read_rows(path)
    if not rows:
        raise UsageError(f"{path}: no rows")
    last = rows[-1]
    ratios = {k[len("density["):-1]: float(v) for k, v in last.items() if k.startswith("density[")}
    return ratios, float(last["density"])
