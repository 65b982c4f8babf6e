"""Device-resident batching: the whole dataset moves to the training device once; batches are cut, augmented and
normalised there (uint8 until normalisation). Epoch `ep`'s order and augmentation parameters (one per position) come
from CPU generators seeded by (seed, ep): the same on every device, and a resume at iteration k gives the
uninterrupted epoch's batches. `batch_size` is GLOBAL: rank r takes positions[r::world_size] of every global batch."""
from __future__ import annotations

import math
from typing import Any, Iterator, Sequence

import torch
import torch.nn.functional as F

from sparselab.core.errors import UsageError
from sparselab.core.seeds import derive_seed

Batch = tuple[torch.Tensor, torch.Tensor]
Params = dict[str, torch.Tensor]


class NoAugmentation:
    """An augmentation: `prepare` the stored images once, `draw` an epoch's parameters on a CPU generator, `apply`
    them to a batch with tensor indexing only."""

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def draw(self, n: int, generator: torch.Generator) -> Params:
        return {}

    def apply(self, stored: torch.Tensor, indices: torch.Tensor, params: Params) -> torch.Tensor:
        return stored[indices]


class RandomCrop:
    """Random crop of the original size out of the image zero-padded by `padding` pixels per side, then
    optionally a horizontal flip with probability 1/2."""

    def __init__(self, padding: int = 4, flip: bool = True) -> None:
        self.padding, self.flip = padding, flip

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        p = self.padding
        return F.pad(images, (p, p, p, p))  # zeros; done once for the whole dataset

    def draw(self, n: int, generator: torch.Generator) -> Params:
        span = 2 * self.padding + 1
        params = {"dy": torch.randint(0, span, (n,), generator=generator)}
        params["dx"] = torch.randint(0, span, (n,), generator=generator)
        if self.flip:
            params["flip"] = torch.randint(0, 2, (n,), generator=generator).bool()
        return params

    def apply(self, stored: torch.Tensor, indices: torch.Tensor, params: Params) -> torch.Tensor:
        channels = stored.shape[1]
        h, w = stored.shape[2] - 2 * self.padding, stored.shape[3] - 2 * self.padding
        device = stored.device
        rows = params["dy"][:, None] + torch.arange(h, device=device)  # [B, H]
        xs = torch.arange(w, device=device)
        if self.flip:
            xs = torch.where(params["flip"][:, None], (w - 1) - xs, xs)  # [B, W]
        cols = params["dx"][:, None] + xs
        c = torch.arange(channels, device=device)
        return stored[indices[:, None, None, None], c[None, :, None, None], rows[:, None, :, None], cols[:, None, None, :]]


AUGMENTATIONS: dict[str, Any] = {  # in sorted order (the "accepted:" list of an unknown name)
    "crop": RandomCrop(padding=4, flip=False),  # for digit datasets, where a mirror image changes the class
    "crop_flip": RandomCrop(padding=4, flip=True),
    "none": NoAugmentation(),
}


def cpu_generator(seed: int) -> torch.Generator:
    return torch.Generator(device="cpu").manual_seed(seed)


def pick(table: dict[str, Any], name: str, what: str) -> Any:
    if name not in table:
        raise UsageError(f"unknown {what} {name!r}; accepted: {', '.join(table)}")
    return table[name]


class Normalizer:
    """uint8 [B,C,H,W] -> float32 (x/255 - mean)/std, fused as x * scale + shift. Float32 input (tables,
    standardised when loaded) is already in model units and passes unchanged."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], channels: int, device: torch.device,
                 channels_last: bool = False) -> None:
        if len(mean) != channels or len(std) != channels:
            raise UsageError(f"mean/std have {len(mean)}/{len(std)} entries; the images have {channels} channels")
        if any(s <= 0 for s in std):
            raise UsageError(f"std must be positive, got {tuple(std)}")
        m = torch.tensor(mean, dtype=torch.float64)
        s = torch.tensor(std, dtype=torch.float64)
        self.scale = (1.0 / (255.0 * s)).float().view(1, -1, 1, 1).to(device)
        self.shift = (-m / s).float().view(1, -1, 1, 1).to(device)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.is_floating_point():
            return x
        # The layout change on the uint8 batch (1 byte per value), so the float result is born in it.
        x = x.contiguous(memory_format=self.memory_format)
        out = torch.addcmul(self.shift, x.to(torch.float32), self.scale)
        return out.contiguous(memory_format=self.memory_format)


def _check_images(images: torch.Tensor, labels: torch.Tensor) -> None:
    if images.dtype not in (torch.uint8, torch.float32) or images.dim() != 4:
        raise UsageError(f"images must be uint8 (or float32 features) [N,C,H,W], got {images.dtype} {tuple(images.shape)}")
    if labels.shape != (images.shape[0],):
        raise UsageError(f"labels must have shape ({images.shape[0]},), got {tuple(labels.shape)}")
    if images.shape[0] == 0:
        raise UsageError("the dataset is empty")


def _check_batch_size(batch_size: int) -> None:
    if not isinstance(batch_size, int) or batch_size < 1:
        raise UsageError(f"batch_size must be a positive integer, got {batch_size!r}")


class InOrder:
    """In-order batches of `num_examples`, normalised on `device` (the evaluation loaders)."""

    def __init__(self, num_examples: int, batch_size: int, device: torch.device | str, mean: Sequence[float],
                 std: Sequence[float], channels: int, channels_last: bool) -> None:
        _check_batch_size(batch_size)
        self.num_examples, self.batch_size, self.device = num_examples, batch_size, torch.device(device)
        self._normalize = Normalizer(mean, std, channels, self.device, channels_last)

    def __len__(self) -> int:
        return math.ceil(self.num_examples / self.batch_size)


class EpochOrder(InOrder):
    """Which examples form batch `it` of epoch `ep` on this rank: a seeded permutation per epoch, cut into global
    batches, sharded across ranks (the training loaders, in memory and streaming)."""

    def __init__(self, num_examples: int, batch_size: int, device: torch.device | str, data_order_seed: int,
                 augmentation_seed: int, mean: Sequence[float], std: Sequence[float], channels: int,
                 channels_last: bool, rank: int, world_size: int) -> None:
        _check_batch_size(batch_size)
        if world_size < 1 or not 0 <= rank < world_size:
            raise UsageError(f"rank {rank} is not in 0..world_size-1 (world_size={world_size})")
        if num_examples == 0:
            raise UsageError("the dataset is empty")
        super().__init__(num_examples, batch_size, device, mean, std, channels, channels_last)
        self.data_order_seed, self.augmentation_seed = data_order_seed, augmentation_seed
        self.rank, self.world_size = rank, world_size

    @property
    def iterations_per_epoch(self) -> int:
        return len(self)

    def order(self, ep: int) -> torch.Tensor:
        generator = cpu_generator(derive_seed("data_order", self.data_order_seed, ep))
        return torch.randperm(self.num_examples, generator=generator)

    def check_start(self, start_iteration: int) -> None:
        if not 0 <= start_iteration <= self.iterations_per_epoch:
            raise UsageError(f"start_iteration {start_iteration} outside 0..{self.iterations_per_epoch}")

    def positions(self, it: int) -> slice:
        return slice(it * self.batch_size + self.rank, (it + 1) * self.batch_size, self.world_size)


class TrainLoader(EpochOrder):
    def __init__(self, images_uint8: torch.Tensor, labels: torch.Tensor, batch_size: int, device: torch.device | str,
                 data_order_seed: int, augmentation_seed: int, augmentation: str, mean: Sequence[float],
                 std: Sequence[float], channels_last: bool = False, rank: int = 0, world_size: int = 1,
                 prepared: torch.Tensor | None = None) -> None:
        """`prepared`: this augmentation's `prepare` of the images on `device`, kept by a caller across loaders (the
        levels of a run) so padding is not redone."""
        _check_images(images_uint8, labels)
        self._augmentation = pick(AUGMENTATIONS, augmentation, "augmentation")
        super().__init__(int(images_uint8.shape[0]), batch_size, device, data_order_seed, augmentation_seed, mean, std,
                         images_uint8.shape[1], channels_last, rank, world_size)
        self._stored = prepared if prepared is not None else self._augmentation.prepare(images_uint8.to(self.device))
        self._labels = labels.to(self.device, torch.int64)

    @property
    def prepared(self) -> torch.Tensor:
        return self._stored

    def epoch(self, ep: int, start_iteration: int = 0) -> Iterator[Batch]:
        self.check_start(start_iteration)
        order = self.order(ep).to(self.device)
        generator = cpu_generator(derive_seed("augmentation", self.augmentation_seed, ep))
        params = {k: v.to(self.device) for k, v in self._augmentation.draw(self.num_examples, generator).items()}
        return self._batches(order, params, start_iteration)

    def _batches(self, order: torch.Tensor, params: dict[str, torch.Tensor], start: int) -> Iterator[Batch]:
        for it in range(start, self.iterations_per_epoch):
            positions = self.positions(it)
            indices = order[positions]
            x = self._augmentation.apply(self._stored, indices, {k: v[positions] for k, v in params.items()})
            yield self._normalize(x), self._labels[indices]


class EvalLoader(InOrder):
    """In-order, unaugmented, normalised batches of a whole split, for evaluation."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, device: torch.device | str,
                 mean: Sequence[float], std: Sequence[float], channels_last: bool = False) -> None:
        _check_images(images, labels)
        super().__init__(int(images.shape[0]), batch_size, device, mean, std, images.shape[1], channels_last)
        self._images = images.to(self.device)
        self._labels = labels.to(self.device, torch.int64)

    def __iter__(self) -> Iterator[Batch]:
        for start in range(0, self.num_examples, self.batch_size):
            end = start + self.batch_size
            yield self._normalize(self._images[start:end]), self._labels[start:end]


def subsample_indices(n: int, fraction: float, seed: int) -> torch.Tensor:
    """round(n * fraction) (at least 1) indices chosen by a seeded permutation, sorted ascending."""
    if not (isinstance(fraction, (int, float)) and 0 < fraction <= 1):
        raise UsageError(f"subsample fraction must be in (0, 1], got {fraction!r}")
    if n < 1:
        raise UsageError(f"cannot subsample an empty dataset (n={n})")
    keep = max(1, round(n * fraction))
    return torch.randperm(n, generator=cpu_generator(derive_seed("subsample", seed)))[:keep].sort().values
