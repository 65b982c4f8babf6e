"""What `evaluate` feeds the network (the job's test set, an OOD set of the same shape, the normalisation as a
function of unnormalised inputs) and what it measures beyond calibration: L-inf attacks and OOD detection scores.

Attacks work in UNNORMALISED input space (pixels in [0, 1]; tables: standardised units, no bounds):
  FGSM  x' = clip(x + eps * sign(grad_x CE(f(x), y)))                                         (Goodfellow et al. 2015)
  PGD   x_{t+1} = clip(P_eps(x_t + alpha * sign(grad CE(f(x_t), y)))), x_0 = clip(x + U(-eps, eps))  (Madry et al. 2018)
OOD scores (higher = more in-distribution): msp (Hendrycks & Gimpel 2017), energy = logsumexp (Liu et al. 2020);
AUROC with ties counted half; FPR@95%TPR at the ceil(0.95 n_in)-th largest in-distribution score.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch
import torch.nn.functional as F

from sparselab.data import registry
from sparselab.data.base import ImageSet
from sparselab.data.loader import EvalLoader
from sparselab.analysis.evaluation.hparams import SYNTHETIC_OOD
from sparselab.core.errors import UsageError

Forward = Callable[[torch.Tensor], torch.Tensor]
Bounds = tuple[float, float] | None


def default_step_size(eps: float, steps: int) -> float:
    return 2.5 * eps / steps


def _clip(x: torch.Tensor, bounds: Bounds) -> torch.Tensor:
    return x if bounds is None else x.clamp(bounds[0], bounds[1])


def _gradient_sign(forward: Forward, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        loss = F.cross_entropy(forward(x), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
    return grad.sign()


def fgsm(forward: Forward, x: torch.Tensor, y: torch.Tensor, eps: float, bounds: Bounds = (0.0, 1.0)) -> torch.Tensor:
    return _clip(x + eps * _gradient_sign(forward, x, y), bounds).detach()


def pgd(forward: Forward, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int, step_size: float | None = None,
        random_start: bool = True, bounds: Bounds = (0.0, 1.0),
        generator: torch.Generator | None = None) -> torch.Tensor:
    alpha = default_step_size(eps, steps) if step_size is None else step_size
    adv = x.detach()
    if random_start:
        noise = torch.rand(x.shape, generator=generator, dtype=x.dtype) * (2 * eps) - eps
        adv = _clip(adv + noise.to(x.device), bounds)
    for _ in range(steps):
        adv = adv + alpha * _gradient_sign(forward, adv, y)
        adv = _clip(torch.min(torch.max(adv, x - eps), x + eps), bounds).detach()
    return adv


def robust_correct(forward: Forward, x: torch.Tensor, y: torch.Tensor, attack: str, eps: float, steps: int,
                   step_size: float | None, random_start: bool, bounds: Bounds,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Bool [B]: whether the prediction on the attacked input is still the label."""
    if attack == "fgsm":
        adv = fgsm(forward, x, y, eps, bounds)
    else:
        adv = pgd(forward, x, y, eps, steps, step_size, random_start, bounds, generator)
    with torch.no_grad():
        return forward(adv).argmax(dim=1) == y


def msp(logits: torch.Tensor) -> torch.Tensor:
    return torch.softmax(logits.double(), dim=1).max(dim=1).values


def energy(logits: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(logits.double(), dim=1)


def _check(s_in: torch.Tensor, s_out: torch.Tensor) -> None:
    if s_in.dim() != 1 or s_out.dim() != 1 or s_in.numel() == 0 or s_out.numel() == 0:
        raise ValueError(f"expected two non-empty score vectors, got {tuple(s_in.shape)} and {tuple(s_out.shape)}")


def auroc(s_in: torch.Tensor, s_out: torch.Tensor) -> float:
    """Mann-Whitney U / (n_in n_out) from average ranks (ties get their mean rank): O(n log n)."""
    _check(s_in, s_out)
    scores = torch.cat([s_in.double(), s_out.double()])
    values, inverse, counts = torch.unique(scores, sorted=True, return_inverse=True, return_counts=True)
    ends = torch.cumsum(counts, 0).double()
    mean_rank = ends - (counts.double() - 1) / 2  # 1-based average rank of each distinct value
    ranks = mean_rank[inverse]
    n_in, n_out = s_in.numel(), s_out.numel()
    u = ranks[:n_in].sum().item() - n_in * (n_in + 1) / 2
    return u / (n_in * n_out)


def fpr_at_tpr(s_in: torch.Tensor, s_out: torch.Tensor, tpr: float = 0.95) -> float:
    _check(s_in, s_out)
    if not 0 < tpr <= 1:
        raise ValueError(f"tpr must be in (0, 1], got {tpr}")
    k = math.ceil(tpr * s_in.numel() - 1e-9)  # at least this many in-distribution scores pass
    threshold = torch.sort(s_in.double(), descending=True).values[k - 1]
    return (s_out.double() >= threshold).double().mean().item()


def detection(logits_in: torch.Tensor, logits_out: torch.Tensor) -> dict[str, float]:
    """AUROC and FPR@95%TPR of the max-softmax and energy scores."""
    out = {}
    for name, score in (("msp", msp), ("energy", energy)):
        s_in, s_out = score(logits_in), score(logits_out)
        out[f"auroc_{name}"] = auroc(s_in, s_out)
        out[f"fpr95_{name}"] = fpr_at_tpr(s_in, s_out, 0.95)
    return out


OOD_SEED = 0


def _synthetic(name: str, test: ImageSet) -> torch.Tensor:
    images = test.images
    generator = torch.Generator().manual_seed(OOD_SEED)
    if name == "uniform_noise":
        if images.dtype == torch.uint8:
            return torch.randint(0, 256, images.shape, generator=generator, dtype=torch.uint8)
        return torch.randn(images.shape, generator=generator, dtype=images.dtype)  # standardised features
    flat = images.reshape(images.shape[0], -1)
    order = torch.rand(flat.shape, generator=generator).argsort(dim=1)  # one permutation per example
    return flat.gather(1, order).reshape(images.shape)


def _describe(images: torch.Tensor) -> str:
    kind = "uint8 images" if images.dtype == torch.uint8 else "float features"
    return f"{kind} of shape {' x '.join(map(str, images.shape[1:]))}"


def ood_images(name: str, data: Any, dataset_root: Any, download: bool) -> torch.Tensor:
    """The OOD set's test images, in the stored form of the job's test set (same dtype and shape)."""
    test = data.test
    if not isinstance(test, ImageSet):
        raise UsageError("--ood_dataset: streaming (ImageNet-style) test sets are not supported by evaluate")
    if name in SYNTHETIC_OOD:
        return _synthetic(name, test)
    if name == data.hparams.dataset_name:
        raise UsageError(f"--ood_dataset {name} is the job's own dataset; choose another one")
    _, ood = registry.load(name, dataset_root, download=download)
    if not isinstance(ood, ImageSet):
        raise UsageError(f"--ood_dataset {name}: streaming (ImageNet-style) datasets are not supported by evaluate")
    if data.hparams.image_size is not None and ood.images.dtype == torch.uint8:
        from sparselab.data.tiny_imagenet import resize_to

        ood = resize_to(ood, data.hparams.image_size)
    if ood.images.dtype != test.images.dtype or ood.images.shape[1:] != test.images.shape[1:]:
        raise UsageError(f"--ood_dataset {name} holds {_describe(ood.images)}, the job's {data.hparams.dataset_name} "
                         f"test set {_describe(test.images)}; choose a set of the same shape")
    return ood.images


def loader(images: torch.Tensor, labels: torch.Tensor, data: Any, device: torch.device, batch_size: int) -> EvalLoader:
    """Batches normalised with the job's dataset statistics (whatever set the images come from)."""
    return EvalLoader(images, labels, batch_size, device, data.source.mean, data.source.std)


class Unnormalised:
    """x_model = (x_raw - mean) / std for images (x_raw = pixel / 255 in [0, 1]); identity for tables."""

    def __init__(self, data: Any, device: torch.device) -> None:
        self.images = data.test.images.dtype == torch.uint8
        channels = len(data.source.mean)
        self.mean = torch.tensor(data.source.mean, dtype=torch.float32, device=device).view(1, channels, 1, 1)
        self.std = torch.tensor(data.source.std, dtype=torch.float32, device=device).view(1, channels, 1, 1)

    @property
    def bounds(self) -> tuple[float, float] | None:
        return (0.0, 1.0) if self.images else None

    def raw(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std + self.mean if self.images else x

    def forward(self, model: torch.nn.Module):
        if not self.images:
            return model
        return lambda r: model((r - self.mean) / self.std)
