"""`python main.py export <job dir> [--format=dense|csr|semi_structured|channels] [--output=FILE]`.

Reads a finished training job (`weights_final.pt`, its final mask: `mask_final.pt` of a DST job, else
`mask.pt`; none = dense) and writes `<job dir>/exported/<format>.pt` (outside the job's checksummed
files), then prints its multiply-adds next to the dense model's.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch

from sparselab.foundations import io as fio
from sparselab.foundations.cli import OneLineParser
from sparselab.foundations.command import Command
from sparselab.foundations.errors import UsageError
from sparselab.pruning.mask import Mask

EXPORT_FOLDER = "exported"


def job_record(directory: Path) -> dict[str, Any]:
    """The model and dataset bundles of the job (a branch keeps them under its trunk's record)."""
    record = fio.read_json(directory / "hparams.json")
    for candidate in (record, record.get("trunk", {})):
        if "model" in candidate and "dataset" in candidate:
            return candidate
    raise UsageError(f"{directory / 'hparams.json'} names no model and dataset")


def data_shape(dataset: dict[str, Any]) -> tuple[tuple[int, int, int], int]:
    """(input shape, number of classes) of the job's dataset, without reading it."""
    from sparselab.datasets import registry

    source = registry.get_source(dataset["dataset_name"])
    c, h, w = source.image_shape
    size = dataset.get("image_size")
    return ((c, size, size) if size else (c, h, w)), source.num_classes


def load_job(directory: Path) -> tuple[torch.nn.Module, Mask | None, dict[str, Any]]:
    from sparselab.models import registry
    from sparselab.pruning.dst.build import load_final_mask
    from sparselab.training import job

    if not job.is_done(directory):
        raise UsageError(f"{directory} is not a finished training job (no done.json); give a job's main directory")
    record = job_record(directory)
    model_h, data_h = record["model"], record["dataset"]
    shape, num_classes = data_shape(data_h)
    model = registry.build(model_h["model_name"], shape, num_classes, seed=0)
    model.load_state_dict(fio.load_torch(directory / "weights_final.pt"))
    mask = load_final_mask(directory) or (Mask.load(directory) if Mask.exists(directory) else None)
    meta = {"model_name": model_h["model_name"], "input_shape": list(shape), "num_classes": num_classes,
            "job": str(directory)}
    return model, mask, meta


def export_job(directory: Path, fmt: str, output: Path | None = None) -> tuple[Path, dict[str, Any]]:
    from sparselab.export.formats import build_payload

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
    from sparselab.export.loader import skeleton
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
        from sparselab.export.formats import FORMATS

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
