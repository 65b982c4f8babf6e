"""GraSP (Wang et al. 2020): removes the LARGEST -w * (H g); we return w * (H g), so top-k keeps GraSP's
choice. g: gradient of the loss on logits / 200 over a class-balanced sample; as Random_Pruning, the sample
is class-sorted into two halves, each its own train-mode forward pass (BatchNorm per half)."""
from __future__ import annotations

import torch

from sparselab.core.errors import UsageError
from sparselab.sparsity.context import Batch, ScoreContext, masked_weights, working_copy
from sparselab.sparsity.mask import Mask

HALVES = 2  # the seed's two class-sorted halves
data = "per_class"
description = "w*(Hg), train mode, temperature 200"


def balanced_sample(model: torch.nn.Module, context: ScoreContext, per_class: int) -> Batch:
    if context.class_balanced_batch is not None:
        return context.class_balanced_batch(per_class)
    if context.batches is None:
        from sparselab.sparsity.scores import data_free_scores

        raise UsageError("pruning score 'grasp' needs training data; the caller gave none "
                         f"(data-free scores: {data_free_scores()})")
    num_classes = getattr(model, "num_classes", None)
    xs: list[torch.Tensor] = []
    ys: list[torch.Tensor] = []
    counts: dict[int, int] = {}
    for x, y in context.batches():
        for i, label in enumerate(y.tolist()):
            if counts.get(label, 0) < per_class:
                counts[label] = counts.get(label, 0) + 1
                xs.append(x[i])
                ys.append(y[i])
        if num_classes is not None and len(counts) == num_classes and min(counts.values()) >= per_class:
            break
    if not xs:
        raise UsageError("pruning score 'grasp': the training data gave no examples")
    return torch.stack(xs), torch.stack(ys)


def score(model: torch.nn.Module, mask: Mask, context: ScoreContext) -> dict[str, torch.Tensor]:
    device = context.model_device(model)
    x, y = balanced_sample(model, context, context.grasp_samples_per_class)
    x, y = x.to(device), y.to(device)
    work = working_copy(model, mask, device)
    work.train()
    params = masked_weights(work, mask)
    names = list(params)
    weights = [params[n] for n in names]
    n = y.shape[0]
    order = torch.sort(y, stable=True).indices  # class-sorted
    x, y = x[order], y[order]
    cut = (n + 1) // HALVES
    chunks = [(xc, yc) for xc, yc in ((x[:cut], y[:cut]), (x[cut:], y[cut:])) if yc.numel()]
    t = context.grasp_temperature

    def loss_of(xc: torch.Tensor, yc: torch.Tensor) -> torch.Tensor:
        return context.loss_fn(work(xc) / t, yc) * (yc.shape[0] / n)

    g = [torch.zeros_like(w) for w in weights]
    for xc, yc in chunks:
        for acc, gc in zip(g, torch.autograd.grad(loss_of(xc, yc), weights, allow_unused=True)):
            if gc is not None:
                acc += gc
    hg = [torch.zeros_like(w) for w in weights]
    for xc, yc in chunks:
        grads = torch.autograd.grad(loss_of(xc, yc), weights, create_graph=True, allow_unused=True)
        z = sum((gr * gc).sum() for gr, gc in zip(grads, g) if gr is not None)
        if not isinstance(z, torch.Tensor) or not z.requires_grad:
            continue
        for acc, hc in zip(hg, torch.autograd.grad(z, weights, allow_unused=True)):
            if hc is not None:
                acc += hc
    return {name: w.detach() * h for name, w, h in zip(names, weights, hg)}
