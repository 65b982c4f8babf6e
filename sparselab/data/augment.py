"""Batched, seeded data augmentation on the training device.

An augmentation has three steps: `prepare` the stored dataset once (e.g. zero-pad it), `draw` the random
parameters of a whole epoch on a CPU generator (one entry per position in the epoch, so results do not
depend on the device or on which batches were skipped), and `apply` them to a batch of stored images
with tensor indexing only. Everything stays uint8 until normalisation.
"""
from __future__ import annotations

from typing import Protocol

import torch
import torch.nn.functional as F

Params = dict[str, torch.Tensor]


class Augmentation(Protocol):
    def prepare(self, images: torch.Tensor) -> torch.Tensor: ...

    def draw(self, n: int, generator: torch.Generator) -> Params: ...

    def apply(self, stored: torch.Tensor, indices: torch.Tensor, params: Params) -> torch.Tensor: ...


class NoAugmentation:
    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def draw(self, n: int, generator: torch.Generator) -> Params:
        return {}

    def apply(self, stored: torch.Tensor, indices: torch.Tensor, params: Params) -> torch.Tensor:
        return stored[indices]


class RandomCrop:
    """Random crop of the original size out of the image zero-padded by `padding` pixels per side,
    optionally followed by a horizontal flip with probability 1/2."""

    def __init__(self, padding: int = 4, flip: bool = True) -> None:
        self.padding = padding
        self.flip = flip

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        p = self.padding
        return F.pad(images, (p, p, p, p))  # zeros; done once for the whole dataset

    def draw(self, n: int, generator: torch.Generator) -> Params:
        span = 2 * self.padding + 1
        params = {
            "dy": torch.randint(0, span, (n,), generator=generator),
            "dx": torch.randint(0, span, (n,), generator=generator),
        }
        if self.flip:
            params["flip"] = torch.randint(0, 2, (n,), generator=generator).bool()
        return params

    def apply(self, stored: torch.Tensor, indices: torch.Tensor, params: Params) -> torch.Tensor:
        channels = stored.shape[1]
        h, w = stored.shape[2] - 2 * self.padding, stored.shape[3] - 2 * self.padding
        device = stored.device
        ys = torch.arange(h, device=device)
        xs = torch.arange(w, device=device)
        rows = params["dy"][:, None] + ys  # [B, H]
        if self.flip:
            xs = torch.where(params["flip"][:, None], (w - 1) - xs, xs)  # [B, W]
        cols = params["dx"][:, None] + xs
        c = torch.arange(channels, device=device)
        return stored[indices[:, None, None, None], c[None, :, None, None], rows[:, None, :, None], cols[:, None, None, :]]


AUGMENTATIONS: dict[str, Augmentation] = {  # in sorted order (the "accepted:" list of an unknown name)
    "crop": RandomCrop(padding=4, flip=False),  # for digit datasets, where a mirror image changes the class
    "crop_flip": RandomCrop(padding=4, flip=True),
    "none": NoAugmentation(),
}
