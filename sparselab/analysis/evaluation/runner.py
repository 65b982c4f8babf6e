"""One job's evaluation, a job of its own: `evaluate_<hash>/` beside the job, the hash over the bundle, the
job's folder name and its weights' sha256 (a retrained job never meets an old evaluation)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from sparselab.experiments.ensembles import metrics
from sparselab.experiments.ensembles.members import Member, load_model
from sparselab.analysis.evaluation import measures
from sparselab.analysis.evaluation.hparams import EvaluationHparams
from sparselab.core import integrity, layout
from sparselab.core import io as fio
from sparselab.core.desc import HASH_LENGTH
from sparselab.core.errors import UsageError
from sparselab.store.job import FinishedJob, hparams_of
from sparselab.store.network import section
from sparselab.train.job import is_done, run_once

PREFIX = "evaluate_"
CALIBRATION_FILE = "calibration.json"
PLOT_FILE = "reliability.png"
BATCH_SIZE = 512
ATTACK_SEED = 0


def weights_digest(job_dir: Path) -> str:
    recorded = integrity.recorded_files(job_dir) or {}
    return recorded.get(layout.WEIGHTS_FINAL) or integrity.digest_file(job_dir / layout.WEIGHTS_FINAL)


def identity(job_dir: Path) -> dict[str, Any]:
    return {"job": job_dir.name, "weights_sha256": weights_digest(job_dir)}


def evaluation_dir(job_dir: Path, h: EvaluationHparams) -> Path:
    body = json.dumps({"evaluation": h.canonical(), **identity(job_dir)}, sort_keys=True, separators=(",", ":"))
    return job_dir.parent / f"{PREFIX}{hashlib.sha256(body.encode()).hexdigest()[:HASH_LENGTH]}"


@torch.no_grad()
def logits_of(model: torch.nn.Module, batches: Any) -> tuple[torch.Tensor, torch.Tensor]:
    out, labels = [], []
    for x, y in batches:
        out.append(model(x).double().cpu())
        labels.append(y.cpu())
    return torch.cat(out), torch.cat(labels)


def robust_accuracy(model: torch.nn.Module, data: Any, h: EvaluationHparams, device: torch.device) -> float:
    space = measures.Unnormalised(data, device)
    forward = space.forward(model)
    generator = torch.Generator().manual_seed(ATTACK_SEED)
    correct = 0
    for x, y in measures.loader(data.test.images, data.test.labels, data, device, BATCH_SIZE):
        ok = measures.robust_correct(forward, space.raw(x), y, h.attack, h.eps, h.pgd_steps, h.step_size,
                                    h.random_start, space.bounds, generator)
        correct += int(ok.sum())
    return correct / len(data.test)


def measure(model: torch.nn.Module, data: Any, ood: torch.Tensor | None, h: EvaluationHparams,
            device: torch.device) -> tuple[dict[str, Any], dict[str, list]]:
    """(the scalar results, the calibration table) of `model` on the job's test set (and `ood` images)."""
    model = model.to(device).eval()
    test = measures.loader(data.test.images, data.test.labels, data, device, BATCH_SIZE)
    logits, labels = logits_of(model, test)
    probs = metrics.softmax(logits)
    result: dict[str, Any] = {**metrics.scores(probs, labels, h.bins), "examples": int(labels.numel())}
    if ood is not None:
        dummy = torch.zeros(ood.shape[0], dtype=torch.int64)
        ood_logits, _ = logits_of(model, measures.loader(ood, dummy, data, device, BATCH_SIZE))
        result.update(measures.detection(logits, ood_logits), ood_examples=int(ood.shape[0]))
    if h.attack is not None:
        result[f"robust_acc_{h.attack}"] = robust_accuracy(model, data, h, device)
    return result, metrics.calibration_bins(probs, labels, h.bins)


def _inputs(job_dir: Path, record: dict[str, Any], h: EvaluationHparams, platform: Any) -> tuple[Any, Any, Any]:
    """(data, model, OOD images or None): every input check, before the evaluation writes a file."""
    from sparselab.data.hparams import DatasetHparams
    from sparselab.train.data import prepare_data

    root, download = platform.dataset_root, platform.hparams.download
    data = prepare_data(DatasetHparams.from_dict(dict(section(record, "dataset") or {})), root, replicate=1,
                        download=download)
    if data.streaming:
        raise UsageError(f"evaluate does not read streaming (ImageNet-style) datasets yet: {job_dir}")
    ood = None if h.ood_dataset is None else measures.ood_images(h.ood_dataset, data, root, download)
    model = load_model(Member(job_dir.name, job_dir, record), data.input_shape, data.num_classes)
    return data, model, ood


def job_record(job_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(hparams.json, done.json's result); a branch's model and dataset are its trunk's (`store.network.section`)."""
    path = job_dir / layout.HPARAMS
    if not (job_dir / layout.WEIGHTS_FINAL).exists() or not path.exists():
        raise UsageError(f"{job_dir} is not a finished training job (no {layout.WEIGHTS_FINAL} or {layout.HPARAMS})")
    job = FinishedJob(job_dir, missing=f"{job_dir} is not finished (no done.json); rerun its command to complete it")
    record = hparams_of(job_dir)
    if not isinstance(record, dict) or section(record, "model") is None or section(record, "dataset") is None:
        raise UsageError(f"{path} does not describe a model and a dataset")
    return record, job.result


def job_title(job_dir: Path) -> str:
    """`lottery_<hash>/replicate_1/level_2/main`: the experiment first, so that a figure says whose it is."""
    for ancestor in job_dir.parents:
        if ancestor.name.startswith("replicate_"):
            return str(job_dir.relative_to(ancestor.parent.parent))
    return f"{job_dir.parent.name}/{job_dir.name}"


def evaluate_job(job_dir: Path, h: EvaluationHparams, platform: Any, verbose: bool = True) -> dict[str, Any]:
    """The evaluation of one finished job (run, or read back when done); adds `directory`."""
    job_dir = Path(job_dir).resolve()
    record, done = job_record(job_dir)
    directory = evaluation_dir(job_dir, h)
    density = done.get("density", 1.0)
    prepared = None if is_done(directory) else _inputs(job_dir, record, h, platform)

    def work() -> dict[str, Any]:
        data, model, ood = prepared or _inputs(job_dir, record, h, platform)
        result, table = measure(model, data, ood, h, platform.device)
        fio.write_json(directory / CALIBRATION_FILE, table)
        if plot_reliability(table, result, directory / PLOT_FILE, title=job_title(job_dir)):
            result["plot"] = PLOT_FILE
        return {**result, **identity(job_dir), "density": density, "bins": h.bins}

    hparams = {"command": "evaluate", "evaluation": h.to_dict(), **identity(job_dir)}
    result = run_once(directory, hparams, work, label="evaluate", verbose=verbose)
    return {**result, "directory": str(directory)}


def plot_reliability(table: dict[str, list], result: dict[str, Any], path: Path, title: str = "") -> bool:
    """The reliability diagram (accuracy per confidence bin against the diagonal) to `path`, written atomically;
    False, drawing nothing, without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return False
    from sparselab.core import io as fio

    bins = len(table["count"])
    centres = [(lo + hi) / 2 for lo, hi in zip(table["lower"], table["upper"])]
    fig = Figure(figsize=(5, 5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.bar(centres, [a or 0.0 for a in table["accuracy"]], width=1.0 / bins, edgecolor="black", alpha=0.7,
           label="accuracy")
    gap = [(c, f) for c, f, n in zip(centres, table["confidence"], table["count"]) if n]
    ax.plot([c for c, _ in gap], [f for _, f in gap], "r.", label="mean confidence")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence", ylabel="accuracy",
           title=f"{title}\nECE {result['ece']:.4f} ({bins} bins), accuracy {result['accuracy']:.4f}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fio.write_bytes(path, _png(fig))
    return True


def _png(fig: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
