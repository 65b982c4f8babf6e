"""Streaming loaders on a tiny ImageFolder tree (flat-colour JPEGs, so the class is visible in pixels)."""
from __future__ import annotations

import random

import pytest
import torch

import datasets_fakes as fakes
from sparselab.data.streaming import StreamingEvalLoader, load_imagenet, StreamingTrainLoader, random_resized_crop_box

MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)


@pytest.fixture
def files(tmp_path):
    fakes.write_image_folder(tmp_path, classes=("b_cls", "a_cls", "c_cls"), per_class=4, size=(40, 30))
    return load_imagenet(tmp_path)


def _train(train, workers=0, aug_seed=2, **kw):
    return StreamingTrainLoader(train, 5, "cpu", 1, aug_seed, "random_resized_crop_flip", MEAN, STD,
                                num_workers=workers, image_size=16, resize_size=20, **kw)


def _collect(loader, ep, start=0):
    return list(loader.epoch(ep, start))


def _pixel_values(x):
    return ((x * 0.25 + 0.5) * 255).mean(dim=(1, 2, 3))


def test_train_epoch_shapes_labels_coverage(files):
    train, _ = files
    loader = _train(train)
    assert loader.iterations_per_epoch == 3
    batches = _collect(loader, 0)
    assert [y.numel() for _, y in batches] == [5, 5, 2]
    x, y = batches[0]
    assert x.shape == (5, 3, 16, 16) and x.dtype == torch.float32 and y.dtype == torch.int64
    all_x = torch.cat([b[0] for b in batches])
    all_y = torch.cat([b[1] for b in batches])
    assert sorted(all_y.tolist()) == sorted(train.labels.tolist())
    assert torch.allclose(_pixel_values(all_x), (60 * all_y + 30).float(), atol=3)


def test_train_determinism_resume_and_workers(files):
    train, _ = files
    full = _collect(_train(train), 4)
    again = _collect(_train(train, workers=2), 4)
    tail = _collect(_train(train), 4, start=1)
    for (x1, y1), (x2, y2) in zip(full, again):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)
    for (x1, y1), (x2, y2) in zip(full[1:], tail):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)
    shard = _collect(_train(train, rank=1, world_size=2), 4)
    assert torch.equal(shard[0][1], full[0][1][1::2])


def test_train_order_matches_in_memory_loader(files):
    from sparselab.data.loader import TrainLoader

    train, _ = files
    n = len(train)
    memory = TrainLoader(torch.zeros(n, 3, 2, 2, dtype=torch.uint8), torch.arange(n), 5, "cpu", 1, 2, "none", MEAN, STD)
    assert torch.equal(memory.order(3), _train(train).order(3))


def test_eval_loader(files):
    _, val = files
    loader = StreamingEvalLoader(val, 5, "cpu", MEAN, STD, num_workers=0, image_size=16, resize_size=20)
    assert len(loader) == 3
    batches = list(loader)
    ys = torch.cat([y for _, y in batches])
    assert ys.tolist() == val.labels.tolist()
    assert batches[0][0].shape == (5, 3, 16, 16)
    xs = torch.cat([x for x, _ in batches])
    assert torch.allclose(_pixel_values(xs), (60 * ys + 30).float(), atol=3)


def test_random_resized_crop_box_bounds():
    rng = random.Random(0)
    for _ in range(200):
        left, top, right, bottom = random_resized_crop_box(rng, 50, 30)
        assert 0 <= left < right <= 50 and 0 <= top < bottom <= 30
        area = (right - left) * (bottom - top)
        assert area <= 1500
