"""Evaluation without gradients in large batches; clean/noisy splits of the training set."""
from __future__ import annotations

import hashlib
from typing import Iterable

import torch
import torch.nn.functional as F

from training.precision import autocast


@torch.inference_mode()
def predict(model: torch.nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
            precision: str = "fp32") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(predicted class, per-example loss, labels) for every example, in loader order, on the device."""
    was_training = model.training
    model.eval()
    preds, losses, labels = [], [], []
    for x, y in batches:
        with autocast(x.device, precision):
            logits = model(x)
        logits = logits.float()
        losses.append(F.cross_entropy(logits, y, reduction="none"))
        preds.append(logits.argmax(dim=1))
        labels.append(y)
    model.train(was_training)
    return torch.cat(preds), torch.cat(losses), torch.cat(labels)


def evaluate(model: torch.nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], prefix: str,
             precision: str = "fp32", true_labels: torch.Tensor | None = None,
             corrupted: torch.Tensor | None = None) -> dict[str, float]:
    """Loss, accuracy and how concentrated the predictions are; with `true_labels`/`corrupted` (label
    noise) also the clean/noisy splits.

    `{prefix}_top_prediction_fraction`: the fraction of examples given the most common predicted class
    (1.0 for a network that predicts one class for everything, a sign of collapse).
    `corrupted` are the examples whose label differs from the true one. `{prefix}_clean_accuracy`:
    the other examples; `{prefix}_noisy_accuracy`: the corrupted ones against their noisy label
    (memorisation); `{prefix}_noisy_true_accuracy`: the same examples against their true label.
    """
    pred, loss, labels = predict(model, batches, precision)
    correct = pred == labels
    out = {
        f"{prefix}_loss": loss.mean().item(),
        f"{prefix}_accuracy": correct.float().mean().item(),
        f"{prefix}_examples": int(labels.numel()),
        f"{prefix}_top_prediction_fraction": top_prediction_fraction(pred),
    }
    if corrupted is not None and true_labels is not None:
        true_labels = true_labels.to(pred.device)
        noisy = torch.zeros_like(correct)
        noisy[corrupted.to(pred.device)] = True
        clean = ~noisy
        out[f"{prefix}_clean_accuracy"] = _mean(correct[clean])
        out[f"{prefix}_noisy_accuracy"] = _mean(correct[noisy])
        out[f"{prefix}_noisy_true_accuracy"] = _mean((pred == true_labels)[noisy])
    return out


def prediction_digest(model: torch.nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                      precision: str = "fp32") -> str:
    """sha256 of the predicted classes, in loader order: two levels with the same digest compute the
    same function on the test set (pruning removed only weights that no longer mattered)."""
    pred, _, _ = predict(model, batches, precision)
    return hashlib.sha256(pred.to("cpu", torch.int64).numpy().tobytes()).hexdigest()


def top_prediction_fraction(pred: torch.Tensor) -> float | None:
    """Share of the predictions equal to the most common one (None without predictions)."""
    if pred.numel() == 0:
        return None
    return torch.bincount(pred.flatten().to(torch.int64)).max().item() / pred.numel()


def _mean(values: torch.Tensor) -> float | None:
    return values.float().mean().item() if values.numel() else None
