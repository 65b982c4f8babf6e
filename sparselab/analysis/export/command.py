"""`python main.py export <job dir> [--format=dense|csr|semi_structured|channels] [--output=FILE]`: the job's
verified network and final mask to `<job dir>/exported/<format>.pt` (outside its checksummed files)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch

from sparselab.core import io as fio
from sparselab.core.cli import OneLineParser
from sparselab.core.command import Command
from sparselab.core.errors import UsageError
from sparselab.sparsity.mask import Mask

EXPORT_FOLDER = "exported"


def load_job(directory: Path) -> tuple[torch.nn.Module, Mask | None, dict[str, Any]]:
    """The finished job's verified model and final mask (`store.network`), and the export's metadata."""
    from sparselab.store.network import load_network, section

    loaded = load_network(directory)
    meta = {"model_name": section(loaded.hparams, "model")["model_name"],
            "input_shape": list(loaded.data["input_shape"]), "num_classes": int(loaded.data["num_classes"]),
            "job": str(directory)}
    return loaded.model, loaded.mask, meta


def export_job(directory: Path, fmt: str, output: Path | None = None) -> tuple[Path, dict[str, Any]]:
    from sparselab.analysis.export.formats import build_payload

    model, mask, meta = load_job(directory)
    payload = build_payload(model, mask, fmt, meta)
    output = output or directory / EXPORT_FOLDER / f"{fmt}.pt"
    output.parent.mkdir(parents=True, exist_ok=True)
    fio.save_torch(output, payload)
    return output, flops(model, payload, mask)


def flops(model: torch.nn.Module, payload: dict[str, Any], mask: Mask | None) -> dict[str, int]:
    """Multiply-adds per example: the dense model, the masked one (kept weights), and what the export
    computes (channels: every weight of the smaller model; csr/semi_structured: the kept weights;
    dense: all)."""
    from sparselab.analysis.export.loader import skeleton
    from sparselab.models.flops import multiply_adds

    shape = tuple(payload["input_shape"])
    full = multiply_adds(model, shape, mask=mask.state_dict() if mask is not None else None)
    exported = {"dense": full.dense, "csr": full.sparse, "semi_structured": full.sparse}.get(payload["format"])
    if exported is None:
        exported = multiply_adds(skeleton(payload), shape).dense
    return {"dense": full.dense, "masked": full.sparse, "exported": exported}


class ExportCommand(Command):
    name: ClassVar[str] = "export"
    description: ClassVar[str] = "write a deployable model of a finished job (dense, csr, semi_structured, channels)"

    @staticmethod
    def main(argv: list[str]) -> int:
        from sparselab.analysis.export.formats import FORMATS

        parser = OneLineParser(prog="main.py export", description=ExportCommand.description)
        parser.add_argument("job", help="a finished training job's directory (the one holding weights_final.pt)")
        parser.add_argument("--format", default="dense", choices=FORMATS,
                            help="dense: exact zeros; csr: torch.sparse CSR linear layers; semi_structured: 2:4 "
                                 "linear layers (CUDA only); channels: pruned channels removed (a smaller model)")
        parser.add_argument("--output", default=None, help="file to write (default: <job>/exported/<format>.pt)")
        args = parser.parse_args(argv)
        directory = Path(args.job)
        if not directory.is_dir():
            raise UsageError(f"no job directory {directory}")
        output, flops = export_job(directory, args.format, Path(args.output) if args.output else None)
        print(f"exported {args.format}: {output}")
        print(f"multiply-adds per example: dense {flops['dense']}, masked {flops['masked']}, "
              f"exported model {flops['exported']}")
        return 0


EXPORT_COMMANDS = {ExportCommand.name: ExportCommand}
