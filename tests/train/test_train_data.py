"""From dataset bundles to prepared data: noise before subsampling, ImageNet-style streaming."""
from __future__ import annotations

import torch
from PIL import Image

from sparselab.data.hparams import DatasetHparams
from sparselab.train.data import prepare_data
from sparselab.train.hparams import TrainingHparams


def test_subsampling_keeps_the_noise_of_kept_examples(tmp_path):
    full = prepare_data(DatasetHparams(dataset_name="digits", random_labels_fraction=0.3, noise_seed=1), tmp_path, 1)
    sub = prepare_data(DatasetHparams(dataset_name="digits", random_labels_fraction=0.3, noise_seed=1,
                                      subsample_fraction=0.5, subsample_seed=2), tmp_path, 1)
    assert full.corrupted.numel() == round(0.3 * full.num_train)
    # every kept example keeps its noisy label and its corrupted status
    full_noisy = set(full.corrupted.tolist())
    lookup = {tuple(img.flatten().tolist()): i for i, img in enumerate(full.train.images)}
    kept = [lookup[tuple(img.flatten().tolist())] for img in sub.train.images]
    assert sub.num_train == round(0.5 * full.num_train)
    assert sorted(i for i, k in enumerate(kept) if k in full_noisy) == sub.corrupted.tolist()
    assert torch.equal(sub.train.labels, full.train.labels[kept])
    assert torch.equal(sub.true_labels, full.true_labels[kept])


def test_noise_record_is_saved(tmp_path):
    data = prepare_data(DatasetHparams(dataset_name="digits", noisy_labels_type="symmetric",
                                       noisy_labels_fraction=0.2), tmp_path, 1)
    data.save_noise_record(tmp_path)
    record = torch.load(tmp_path / "label_noise.pt", weights_only=True)
    assert torch.equal(record["corrupted_indices"], data.corrupted)
    assert (record["original_labels"] != record["noisy_labels"]).all()


def test_imagenet_folder_streams_through_the_same_interface(tmp_path):
    for split in ("train", "val"):
        for c, wnid in enumerate(("n01", "n02")):
            folder = tmp_path / "imagenet" / split / wnid
            folder.mkdir(parents=True)
            for i in range(3):
                Image.new("RGB", (40 + 5 * i, 36), color=(60 * c, 10 * i, 100)).save(folder / f"{i}.JPEG")
    data = prepare_data(DatasetHparams(dataset_name="imagenet", batch_size=4, image_size=32), tmp_path, 1)
    assert data.streaming and data.input_shape == (3, 32, 32) and data.num_train == 6
    loader = data.train_loader(TrainingHparams(), 1, torch.device("cpu"))
    batches = list(loader.epoch(0))
    assert [x.shape for x, _ in batches] == [(4, 3, 32, 32), (2, 3, 32, 32)]
    labels = torch.cat([y for _, y in data.eval_batches("test", torch.device("cpu"))()])
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]
