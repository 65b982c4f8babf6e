"""L-inf adversarial examples in UNNORMALISED input space (pixels in [0, 1]; tables: standardised units).

`forward(x_raw)` must map unnormalised inputs to logits (normalisation inside it), so eps is in pixel
units (eps=0.1 on MNIST is 0.1 of the 0..1 pixel range) and `bounds` clamps every iterate to the valid
pixel range; tables have no range (`bounds=None`).

  FGSM  x' = clip(x + eps * sign(grad_x CE(f(x), y)))                       (Goodfellow et al. 2015)
  PGD   x_0 = clip(x + U(-eps, eps)) with a random start, else x;
        x_{t+1} = clip(P_eps(x_t + alpha * sign(grad CE(f(x_t), y))))      (Madry et al. 2018)
        P_eps projects onto the L-inf ball |x' - x| <= eps; alpha defaults to 2.5 * eps / steps
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

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
        random_start: bool = True, bounds: Bounds = (0.0, 1.0), generator: torch.Generator | None = None) -> torch.Tensor:
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
