"""The members of an ensemble on disk and their test-set probabilities, read through `store/`. A path is an ensemble
job (its `done.json` lists `members`, relative to it) or one finished training job (train job, level, EDST member).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Iterable

import torch

from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.store.job import FinishedJob, hparams_of
from sparselab.store.network import load_network
from sparselab.train.job import is_done

HPARAMS_FILE, WEIGHTS_FINAL = layout.HPARAMS, layout.WEIGHTS_FINAL
TEST_SET_FIELDS = ("dataset_name", "image_size")  # what decides the test set; every member must agree


@dataclasses.dataclass(frozen=True)
class Member:
    name: str
    directory: Path
    record: dict[str, Any]  # the job's hparams.json


def relative(path: Path, start: Path) -> str:
    return os.path.relpath(Path(path).resolve(), Path(start).resolve())


def _record(directory: Path) -> dict[str, Any]:
    record = hparams_of(directory)
    if record is None:
        raise UsageError(f"{directory} has no {HPARAMS_FILE}: not a job directory")
    if not isinstance(record, dict) or "model" not in record or "dataset" not in record:
        raise UsageError(f"{directory / HPARAMS_FILE} does not describe a model and a dataset")
    return record


def _expand(path: Path) -> list[Member]:
    done = FinishedJob(path).result if is_done(path) else None  # checked against its own sha256
    if isinstance(done, dict) and "members" in done:
        members = []
        for i, rel in enumerate(done["members"], start=1):
            directory = (path / rel).resolve()
            if not (directory / WEIGHTS_FINAL).exists():
                raise UsageError(f"ensemble member {directory} has no {WEIGHTS_FINAL}")
            members.append(Member(layout.member_name(i), directory, _record(directory)))
        return members
    if (path / WEIGHTS_FINAL).exists():  # named `train_<hash>/replicate_<R>` for a `.../main` job, else by its folder
        p = path.resolve()
        return [Member(f"{p.parent.parent.name}/{p.parent.name}" if p.name == layout.MAIN else p.name, path,
                       _record(path))]
    record = hparams_of(path) or {}
    if isinstance(record, dict) and (record.get("ensemble") or {}).get("ensemble"):
        raise UsageError(f"the ensemble in {path} is not finished; rerun its train command to complete it")
    raise UsageError(f"{path} is neither an ensemble job nor a finished training job (no {WEIGHTS_FINAL})")


def resolve(paths: Iterable[Path | str]) -> list[Member]:
    """The members of all `paths` in order; names are made unique."""
    members: list[Member] = []
    for p in paths:
        path = Path(p)
        if not path.is_dir():
            raise UsageError(f"no such job directory: {path}")
        members.extend(_expand(path))
    if len(members) < 2:
        raise UsageError(f"an ensemble needs at least 2 members, found {len(members)} in "
                         f"{', '.join(str(p) for p in paths)}")
    names = [m.name for m in members]
    if len(set(names)) < len(names):
        members = [dataclasses.replace(m, name=f"{i}:{m.name}") for i, m in enumerate(members, start=1)]
    first = members[0].record["dataset"]
    for m in members[1:]:
        for key in TEST_SET_FIELDS:
            if m.record["dataset"].get(key) != first.get(key):
                raise UsageError(f"members disagree on --{key}: {first.get(key)!r} ({members[0].directory}) vs "
                                 f"{m.record['dataset'].get(key)!r} ({m.directory})")
    return members


def load_model(member: Member, input_shape: tuple[int, ...], num_classes: int) -> torch.nn.Module:
    return load_network(member.directory, {"input_shape": input_shape, "num_classes": num_classes}).model


@torch.inference_mode()
def probabilities(model: torch.nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                  device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(softmax probabilities N x C in float64 on the CPU, labels N) in loader order."""
    model = model.to(device).eval()
    probs, labels = [], []
    for x, y in batches:
        probs.append(torch.softmax(model(x).double(), dim=1).cpu())
        labels.append(y.cpu())
    return torch.cat(probs), torch.cat(labels)


def member_probabilities(members: list[Member], data: Any, device: torch.device) -> tuple[list[torch.Tensor],
                                                                                           torch.Tensor]:
    """Each member's test probabilities (data: a training.data.PreparedData) and the labels."""
    batches = data.eval_batches("test", device)
    pairs = [probabilities(load_model(m, data.input_shape, data.num_classes), batches(), device) for m in members]
    return [probs for probs, _ in pairs], pairs[-1][1]
