"""From a dataset bundle to device-resident loaders: noise first, then subsampling, then batching.

Label noise is drawn once over the full training set from its own seed, so which examples are noisy
never depends on subsampling (the subsample keeps the noise of the examples it keeps).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import torch

from datasets import registry
from datasets.base import DatasetSource, ImageSet
from datasets.hparams import DatasetHparams
from datasets.label_noise import apply_label_noise, asymmetric_map
from datasets.loader import EvalLoader, TrainLoader, subsample_indices
from foundations import io as fio
from foundations.seeds import seed_or_default
from training.hparams import TrainingHparams

EVAL_BATCH_SIZE = 1024
NOISE_FILE = "label_noise.pt"


@dataclass
class PreparedData:
    source: DatasetSource
    hparams: DatasetHparams
    train: ImageSet            # training labels after noise (what the network is trained on)
    test: ImageSet
    true_labels: torch.Tensor | None  # original labels of `train`, only under label noise
    corrupted: torch.Tensor | None    # indices into `train` of examples whose label was corrupted
    noise_seed: int | None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.train.images.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return self.source.num_classes

    @property
    def num_train(self) -> int:
        return int(self.train.labels.numel())

    def iterations_per_epoch(self, world_size: int = 1) -> int:
        return -(-self.num_train // self.hparams.batch_size)

    def train_loader(self, training: TrainingHparams, replicate: int, device: torch.device,
                     channels_last: bool = False, rank: int = 0, world_size: int = 1) -> TrainLoader:
        augmentation = "none" if self.hparams.do_not_augment else self.source.augmentation
        return TrainLoader(
            self.train.images, self.train.labels, self.hparams.batch_size, device,
            data_order_seed=seed_or_default(training.data_order_seed, "data_order", replicate),
            augmentation_seed=seed_or_default(training.augmentation_seed, "augmentation", replicate),
            augmentation=augmentation, mean=self.source.mean, std=self.source.std,
            channels_last=channels_last, rank=rank, world_size=world_size)

    def eval_batches(self, which: str, device: torch.device, channels_last: bool = False):
        """A zero-argument callable returning an iterable of batches of the test or training set."""
        data = self.test if which == "test" else self.train
        loader = EvalLoader(data.images, data.labels, EVAL_BATCH_SIZE, device, self.source.mean,
                            self.source.std, channels_last=channels_last)
        return lambda: iter(loader)

    def save_noise_record(self, directory: Path) -> None:
        """Save the corrupted indices with their original and new labels next to the job's results."""
        if self.corrupted is None or self.true_labels is None:
            return
        fio.save_torch(Path(directory) / NOISE_FILE, {
            "corrupted_indices": self.corrupted,
            "original_labels": self.true_labels[self.corrupted],
            "noisy_labels": self.train.labels[self.corrupted],
            "noise_seed": self.noise_seed,
        })


def prepare_data(hparams: DatasetHparams, dataset_root: Path, replicate: int, download: bool = False) -> PreparedData:
    source = registry.get_source(hparams.dataset_name)
    train, test = registry.load(hparams.dataset_name, dataset_root, download=download)
    if hparams.image_size is not None:
        train, test = (registry.resize(s, hparams.image_size) for s in (train, test))
    labels, true_labels, corrupted, noise_seed = train.labels, None, None, None
    if hparams.has_label_noise:
        noise_seed = seed_or_default(hparams.noise_seed, "label_noise", replicate)
        class_map = None
        if hparams.noisy_labels_type == "asymmetric":
            class_map = hparams.parsed_noise_map() or asymmetric_map(hparams.dataset_name)
        labels, corrupted = apply_label_noise(
            train.labels, source.num_classes,
            random_labels_fraction=hparams.random_labels_fraction,
            noisy_labels_type=hparams.noisy_labels_type,
            noisy_labels_fraction=hparams.noisy_labels_fraction,
            seed=noise_seed, class_map=class_map)
        true_labels = train.labels
    images = train.images
    if hparams.subsample_fraction is not None and hparams.subsample_fraction < 1:
        keep = subsample_indices(images.shape[0], hparams.subsample_fraction,
                                 seed_or_default(hparams.subsample_seed, "subsample", replicate))
        images, labels = images[keep], labels[keep]
        if true_labels is not None and corrupted is not None:
            true_labels = true_labels[keep]
            is_corrupted = torch.zeros(train.labels.numel(), dtype=torch.bool)
            is_corrupted[corrupted] = True
            corrupted = torch.nonzero(is_corrupted[keep]).flatten()
    return PreparedData(source, hparams, ImageSet(images, labels), test, true_labels, corrupted, noise_seed)
