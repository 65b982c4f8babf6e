"""From a dataset bundle to device-resident loaders. Label noise is drawn over the full training set before
subsampling, so which examples are noisy never depends on the subsample."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
import torch

from sparselab.core import layout
from sparselab.data import registry
from sparselab.data.base import DatasetSource, FileSet, ImageSet
from sparselab.data.hparams import DatasetHparams
from sparselab.data.label_noise import apply_label_noise, asymmetric_map, changed_indices, noise_record
from sparselab.data.loader import EvalLoader, TrainLoader, subsample_indices
from sparselab.data.streaming import StreamingEvalLoader, StreamingTrainLoader
from sparselab.data.tiny_imagenet import resize_to
from sparselab.core import io as fio
from sparselab.core.seeds import seed_or_default
from sparselab.train.hparams import TrainingHparams

EVAL_BATCH_SIZE = 1024  # when the caller does not choose one (train/evaluate.eval_batch_size does)
STREAMING_EVAL_BATCH_SIZE = 256
STREAMING_WORKERS = min(8, os.cpu_count() or 1)
STREAMING_IMAGE_SIZE = 224  # ImageNet-style datasets stream and crop to this size unless --image_size
NOISE_FILE = layout.LABEL_NOISE


@dataclass
class PreparedData:
    source: DatasetSource
    hparams: DatasetHparams
    train: ImageSet | FileSet  # training labels after noise (what the network is trained on)
    test: ImageSet | FileSet
    true_labels: torch.Tensor | None  # original labels of `train`, only under label noise
    corrupted: torch.Tensor | None    # indices into `train` of examples whose label was redrawn
    noise_seed: int | None
    _prepared: dict[tuple[str, str], torch.Tensor] = field(default_factory=dict, init=False, repr=False)

    @property
    def changed(self) -> torch.Tensor | None:
        """Indices of the examples whose label differs from the true one (a redrawn equal label is clean)."""
        if self.corrupted is None or self.true_labels is None:
            return None
        return changed_indices(self.true_labels, self.train.labels)

    @property
    def streaming(self) -> bool:
        return isinstance(self.train, FileSet)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        if self.streaming:
            size = self.hparams.image_size or STREAMING_IMAGE_SIZE
            return (3, size, size)
        return tuple(self.train.images.shape[1:])  # type: ignore[union-attr,return-value]

    @property
    def num_classes(self) -> int:
        return self.source.num_classes

    @property
    def num_train(self) -> int:
        return len(self.train)

    def iterations_per_epoch(self) -> int:
        return -(-self.num_train // self.hparams.batch_size)

    def train_loader(self, training: TrainingHparams, replicate: int, device: torch.device,
                     channels_last: bool = False, rank: int = 0, world_size: int = 1) -> TrainLoader:
        augmentation = "none" if self.hparams.do_not_augment else self.source.augmentation
        common = dict(data_order_seed=seed_or_default(training.data_order_seed, "data_order", replicate),
                      augmentation_seed=seed_or_default(training.augmentation_seed, "augmentation", replicate),
                      mean=self.source.mean, std=self.source.std, channels_last=channels_last, rank=rank,
                      world_size=world_size)
        if self.streaming:
            size = self.input_shape[1]
            return StreamingTrainLoader(self.train, self.hparams.batch_size, device,  # type: ignore[arg-type]
                                        augmentation=augmentation,
                                        image_size=size, resize_size=round(size * 8 / 7),
                                        num_workers=STREAMING_WORKERS, **common)
        key = (augmentation, str(device))
        loader = TrainLoader(self.train.images, self.train.labels, self.hparams.batch_size, device,  # type: ignore[union-attr]
                             augmentation=augmentation, prepared=self._prepared.get(key), **common)
        self._prepared[key] = loader.prepared  # one padded copy per run, shared by the levels' loaders
        return loader

    def eval_batches(self, which: str, device: torch.device, channels_last: bool = False,
                     batch_size: int | None = None):
        data = self.test if which == "test" else self.train
        if isinstance(data, FileSet):
            size = self.input_shape[1]
            loader = StreamingEvalLoader(data, batch_size or STREAMING_EVAL_BATCH_SIZE, device, self.source.mean, self.source.std, channels_last,
                                         num_workers=STREAMING_WORKERS, image_size=size,
                                         resize_size=round(size * 8 / 7))
        else:
            loader = EvalLoader(data.images, data.labels, batch_size or EVAL_BATCH_SIZE, device, self.source.mean,
                                self.source.std, channels_last=channels_last)
        return lambda: iter(loader)

    def save_noise_record(self, directory: Path) -> None:
        if self.corrupted is None or self.true_labels is None:
            return
        fio.save_torch(Path(directory) / NOISE_FILE,
                       noise_record(self.corrupted, self.true_labels, self.train.labels, self.noise_seed))


def prepare_data(hparams: DatasetHparams, dataset_root: Path, replicate: int, download: bool = False) -> PreparedData:
    source, train, test = registry.load_for(hparams, dataset_root, download=download)
    if hparams.image_size is not None and isinstance(train, ImageSet):
        train, test = resize_to(train, hparams.image_size), resize_to(test, hparams.image_size)
    true_labels, corrupted, noise_seed = None, None, None
    if hparams.has_label_noise:
        noise_seed = seed_or_default(hparams.noise_seed, "label_noise", replicate)
        class_map = None
        if hparams.noisy_labels_type == "asymmetric":
            class_map = hparams.parsed_noise_map() or asymmetric_map(hparams.dataset_name)
        noisy, corrupted = apply_label_noise(
            train.labels, source.num_classes,
            random_labels_fraction=hparams.random_labels_fraction,
            noisy_labels_type=hparams.noisy_labels_type,
            noisy_labels_fraction=hparams.noisy_labels_fraction,
            seed=noise_seed, class_map=class_map)
        true_labels = train.labels
        train = train.with_labels(noisy)
    if hparams.subsample_fraction is not None and hparams.subsample_fraction < 1:
        keep = subsample_indices(len(train), hparams.subsample_fraction,
                                 seed_or_default(hparams.subsample_seed, "subsample", replicate))
        if true_labels is not None and corrupted is not None:
            is_corrupted = torch.zeros(len(train), dtype=torch.bool)
            is_corrupted[corrupted] = True
            corrupted = torch.nonzero(is_corrupted[keep]).flatten()
            true_labels = true_labels[keep]
        train = train.subset(keep)
    return PreparedData(source, hparams, train, test, true_labels, corrupted, noise_seed)
