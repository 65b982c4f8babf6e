"""Evaluation without gradients, clean/noisy splits, and the evaluation batch size.

On the CPU the batch is the largest power of two whose largest activation fits `CPU_ACTIVATION_BUDGET`:
glibc unmaps blocks above its mmap threshold on free, so bigger batches fault their activations in again
(bench/eval_speed.py, 2 cores: ResNet-20 1,912 img/s at 64, 1,628 at 128). It changes no prediction.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, Sequence

import torch
import torch.nn.functional as F

from sparselab.speed.fused_eval import evaluation_forward
from sparselab.train.precision import autocast


@torch.inference_mode()
def predict(model: torch.nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
            precision: str = "fp32") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(predicted class, per-example loss, labels) in loader order; `--fused_eval`: through speed/fused_eval.py."""
    was_training = model.training
    model.eval()
    device = next(model.parameters(), torch.empty(0)).device
    forward = evaluation_forward(model, onednn=device.type == "cpu" and precision == "fp32")
    preds, losses, labels = [], [], []
    for x, y in batches:
        with autocast(x.device, precision):
            logits = forward(x)
        logits = logits.float()
        losses.append(F.cross_entropy(logits, y, reduction="none"))
        preds.append(logits.argmax(dim=1))
        labels.append(y)
    model.train(was_training)
    return torch.cat(preds), torch.cat(losses), torch.cat(labels)


def evaluate(model: torch.nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], prefix: str,
             precision: str = "fp32", true_labels: torch.Tensor | None = None,
             corrupted: torch.Tensor | None = None) -> dict[str, float]:
    pred, loss, labels = predict(model, batches, precision)
    return prediction_metrics(pred, loss, labels, prefix, true_labels, corrupted)


def prediction_metrics(pred: torch.Tensor, loss: torch.Tensor, labels: torch.Tensor, prefix: str,
                       true_labels: torch.Tensor | None = None,
                       corrupted: torch.Tensor | None = None) -> dict[str, float]:
    """Loss, accuracy, top prediction fraction (1.0: collapse); under label noise accuracy on the clean
    examples, on the `corrupted` ones against their noisy label (memorisation) and against the true one."""
    correct = pred == labels
    out = {f"{prefix}_loss": loss.mean().item(), f"{prefix}_accuracy": correct.float().mean().item(),
           f"{prefix}_examples": int(labels.numel()), f"{prefix}_top_prediction_fraction": top_prediction_fraction(pred)}
    if corrupted is not None and true_labels is not None:
        true_labels = true_labels.to(pred.device)
        noisy = torch.zeros_like(correct)
        noisy[corrupted.to(pred.device)] = True
        clean = ~noisy
        out[f"{prefix}_clean_accuracy"] = _mean(correct[clean])
        out[f"{prefix}_noisy_accuracy"] = _mean(correct[noisy])
        out[f"{prefix}_noisy_true_accuracy"] = _mean((pred == true_labels)[noisy])
    return out


def digest_of(pred: torch.Tensor) -> str:
    """sha256 of the predicted classes: equal digests, same function on the test set."""
    return hashlib.sha256(pred.to("cpu", torch.int64).numpy().tobytes()).hexdigest()


def prediction_digest(model: torch.nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                      precision: str = "fp32") -> str:
    return digest_of(predict(model, batches, precision)[0])


CPU_ACTIVATION_BUDGET = 4 * 2 ** 20  # bytes: far below the 32 MB mmap ceiling, a quarter of a 16 MB L3
ACCELERATOR_ACTIVATION_BUDGET = 2 ** 30  # a GPU wants large batches; this only bounds ImageNet-size models
MAX_BATCH = 1024
MIN_BATCH = 32


def largest_activation_bytes(model: torch.nn.Module, input_shape: Sequence[int], device: torch.device,
                             channels_last: bool = False) -> int:
    largest = 4 * int(torch.Size(input_shape).numel())

    def record(module: torch.nn.Module, inputs: object, output: object) -> None:
        nonlocal largest
        for t in output if isinstance(output, (tuple, list)) else (output,):
            if isinstance(t, torch.Tensor):
                largest = max(largest, t.numel() * t.element_size())

    handles = [m.register_forward_hook(record) for m in model.modules()]
    was_training = model.training
    model.eval()
    try:
        x = torch.zeros(1, *input_shape, device=device)
        if channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return largest


def eval_batch_size(model: torch.nn.Module, input_shape: Sequence[int], device: torch.device,
                    channels_last: bool = False, budget: int | None = None) -> int:
    if budget is None:
        budget = CPU_ACTIVATION_BUDGET if device.type == "cpu" else ACCELERATOR_ACTIVATION_BUDGET
    try:
        per_example = largest_activation_bytes(model, input_shape, device, channels_last)
    except RuntimeError:  # a model that does not take this input fails again, with context, in training
        return MAX_BATCH
    fits = max(1, budget // max(1, per_example))
    return max(MIN_BATCH, min(MAX_BATCH, 1 << (fits.bit_length() - 1)))


def top_prediction_fraction(pred: torch.Tensor) -> float | None:
    if pred.numel() == 0:
        return None
    return torch.bincount(pred.flatten().to(torch.int64)).max().item() / pred.numel()


def _mean(values: torch.Tensor) -> float | None:
    return values.float().mean().item() if values.numel() else None
