"""What `evaluate` feeds the network: the job's test set, an OOD set of the same shape, and the
normalisation as a function of unnormalised inputs (the attacks' space)."""
from __future__ import annotations

from typing import Any

import torch

from sparselab.data import registry
from sparselab.data.base import ImageSet
from sparselab.data.loader import EvalLoader
from sparselab.analysis.evaluation.hparams import SYNTHETIC_OOD
from sparselab.core.errors import UsageError

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
        raise UsageError(f"--ood_dataset {name} holds {_describe(ood.images)}, the job's "
                         f"{data.hparams.dataset_name} test set {_describe(test.images)}; choose a set of the same shape")
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
