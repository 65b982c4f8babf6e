"""What a score function may use besides the model and the mask (seeds, data, loss, device), and the
data-driven scores' masked working copy of the model."""
from __future__ import annotations

import copy
import dataclasses
import itertools
from typing import Callable, Iterable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from sparselab.core.errors import UsageError
from sparselab.sparsity.mask import Mask

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclasses.dataclass(frozen=True)
class ScoreContext:
    """Inputs of the score functions. Random scores are drawn from (seed, level, tensor name); `batches` gives a
    fresh iterable of training batches per call (the first `num_batches` are used); `class_balanced_batch`
    (k -> k examples per class) serves GraSP; `input_shape` serves SynFlow when the model has none."""

    seed: int = 0
    level: int = 0
    batches: Callable[[], Iterable[Batch]] | None = None
    num_batches: int = 1
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy
    device: torch.device | str | None = None
    class_balanced_batch: Callable[[int], Batch] | None = None
    grasp_samples_per_class: int = 10
    grasp_temperature: float = 200.0
    synflow_iterations: int = 100
    input_shape: tuple[int, ...] | None = None

    def replace(self, **changes) -> "ScoreContext":
        return dataclasses.replace(self, **changes)

    def model_device(self, model: torch.nn.Module) -> torch.device:
        if self.device is not None:
            return torch.device(self.device)
        p = next(model.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    def scoring_batches(self, score: str) -> Iterator[Batch]:
        """The first `num_batches` training batches; UsageError when the context has no data."""
        if self.batches is None:
            from sparselab.sparsity.scores import data_free_scores

            raise UsageError(f"pruning score {score!r} needs training data; the caller gave none "
                             f"(data-free scores: {data_free_scores()})")
        return itertools.islice(iter(self.batches()), self.num_batches)


def working_copy(model: nn.Module, mask: Mask, device: torch.device, dtype: torch.dtype | None = None) -> nn.Module:
    """A deep copy on `device` with the pruned weights zeroed (the caller's model is never touched)."""
    work = copy.deepcopy(model).to(device)
    if dtype is not None:
        work = work.to(dtype)
    mask.apply_(work)
    for p in work.parameters():
        p.grad = None
    return work


def masked_weights(work: nn.Module, mask: Mask) -> dict[str, nn.Parameter]:
    """The masked parameters of `work`; only they require gradients."""
    params = mask.check_model(work)
    for name, p in work.named_parameters():
        p.requires_grad_(name in params)
    return params


def saliency(model: nn.Module, mask: Mask, context, name: str, train_mode: bool) -> dict[str, torch.Tensor]:
    device = context.model_device(model)
    work = working_copy(model, mask, device)
    work.train(train_mode)
    params = masked_weights(work, mask)
    seen = 0
    for x, y in context.scoring_batches(name):
        loss = context.loss_fn(work(x.to(device)), y.to(device))
        loss.backward()
        seen += 1
    if seen == 0:
        raise UsageError(f"pruning score {name!r}: the training data gave no batches")
    return {n: (p.detach() * p.grad).abs() if p.grad is not None else torch.zeros_like(p.detach())
            for n, p in params.items()}
