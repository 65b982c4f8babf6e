"""Device-resident loaders: determinism, resume, coverage, augmentation, sharding, normalisation."""
from __future__ import annotations

import pytest
import torch

from sparselab.data.loader import AUGMENTATIONS, EvalLoader, TrainLoader, subsample_indices
from sparselab.core.errors import UsageError

N, C, H, W = 50, 3, 8, 8
MEAN, STD = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)


def _data(n=N, c=C):
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, c, H, W), generator=g, dtype=torch.uint8)
    labels = torch.arange(n, dtype=torch.int64)  # label = example index, so batches reveal the order
    return images, labels


def _loader(augmentation="crop_flip", order_seed=1, aug_seed=2, batch_size=16, rank=0, world_size=1, **kw):
    images, labels = _data()
    return TrainLoader(images, labels, batch_size, "cpu", order_seed, aug_seed, augmentation, MEAN, STD,
                       rank=rank, world_size=world_size, **kw)


def _collect(loader, ep, start=0):
    return [(x.clone(), y.clone()) for x, y in loader.epoch(ep, start)]


def _unnormalize(x):
    mean = torch.tensor(MEAN).view(1, -1, 1, 1)
    std = torch.tensor(STD).view(1, -1, 1, 1)
    return ((x * std + mean) * 255).round().to(torch.uint8)


def test_iterations_and_shapes():
    loader = _loader()
    assert loader.iterations_per_epoch == 4
    batches = _collect(loader, 0)
    assert [len(y) for _, y in batches] == [16, 16, 16, 2]
    x, y = batches[0]
    assert x.dtype == torch.float32 and x.shape == (16, C, H, W) and y.dtype == torch.int64


@pytest.mark.parametrize("augmentation", ["none", "crop_flip", "crop"])
def test_every_example_once_per_epoch(augmentation):
    loader = _loader(augmentation)
    for ep in range(3):
        seen = torch.cat([y for _, y in loader.epoch(ep)])
        assert sorted(seen.tolist()) == list(range(N))


def test_same_seeds_same_batches_and_epochs_differ():
    a, b = _collect(_loader(), 3), _collect(_loader(), 3)
    assert all(torch.equal(xa, xb) and torch.equal(ya, yb) for (xa, ya), (xb, yb) in zip(a, b))
    other_epoch = _collect(_loader(), 4)
    assert not torch.equal(a[0][1], other_epoch[0][1])
    other_seed = _collect(_loader(order_seed=5), 3)
    assert not torch.equal(a[0][1], other_seed[0][1])


def test_epoch_independent_of_history():
    loader = _loader()
    _collect(loader, 0)
    _collect(loader, 1)
    after = _collect(loader, 2)
    fresh = _collect(_loader(), 2)
    assert all(torch.equal(x1, x2) and torch.equal(y1, y2) for (x1, y1), (x2, y2) in zip(after, fresh))


@pytest.mark.parametrize("k", [0, 1, 3, 4])
def test_resume_mid_epoch(k):
    full = _collect(_loader(), 7)
    tail = _collect(_loader(), 7, start=k)
    assert len(tail) == len(full) - k
    for (x1, y1), (x2, y2) in zip(full[k:], tail):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)


def test_bad_start_iteration():
    with pytest.raises(UsageError):
        _loader().epoch(0, 5)


def test_no_augmentation_is_exact_normalisation():
    images, labels = _data()
    loader = _loader("none")
    for x, y in loader.epoch(0):
        expected = (images[y].float() / 255 - torch.tensor(MEAN).view(1, -1, 1, 1)) / torch.tensor(STD).view(1, -1, 1, 1)
        assert torch.allclose(x, expected, atol=1e-5)


def test_crop_flip_changes_images_keeps_shape_and_is_a_crop():
    images, _ = _data()
    batches = _collect(_loader("crop_flip"), 0)
    changed = 0
    padded = torch.nn.functional.pad(images, (4, 4, 4, 4))
    for x, y in batches:
        assert x.shape[1:] == (C, H, W)
        raw = _unnormalize(x)
        for img, idx in zip(raw, y.tolist()):
            changed += not torch.equal(img, images[idx])
            # every output is some crop (possibly mirrored) of the zero-padded original
            found = any(
                torch.equal(img, cand)
                for dy in range(9) for dx in range(9)
                for cand in (padded[idx, :, dy:dy + H, dx:dx + W], padded[idx, :, dy:dy + H, dx:dx + W].flip(-1))
            )
            assert found
    assert changed > N // 2


def test_augmentation_seed_controls_only_augmentation():
    a = _collect(_loader(aug_seed=2), 0)
    b = _collect(_loader(aug_seed=3), 0)
    assert all(torch.equal(ya, yb) for (_, ya), (_, yb) in zip(a, b))  # same order
    assert not all(torch.equal(xa, xb) for (xa, _), (xb, _) in zip(a, b))


def test_flip_is_mirror():
    aug = AUGMENTATIONS["crop_flip"]
    images, _ = _data(2)
    stored = aug.prepare(images)
    params = {"dy": torch.tensor([4, 4]), "dx": torch.tensor([4, 4]), "flip": torch.tensor([False, True])}
    out = aug.apply(stored, torch.tensor([0, 0]), params)
    assert torch.equal(out[0], images[0]) and torch.equal(out[1], images[0].flip(-1))


@pytest.mark.parametrize("world_size", [2, 3])
def test_ranks_partition_the_global_batch(world_size):
    single = _collect(_loader(), 5)
    shards = [_collect(_loader(rank=r, world_size=world_size), 5) for r in range(world_size)]
    for it, (x, y) in enumerate(single):
        ys = torch.cat([shards[r][it][1] for r in range(world_size)])
        xs = torch.cat([shards[r][it][0] for r in range(world_size)])
        assert sorted(ys.tolist()) == sorted(y.tolist())
        # strided shards: rank r holds positions r, r+W, ...; augmentation identical to single process
        for r in range(world_size):
            assert torch.equal(shards[r][it][1], y[r::world_size])
            assert torch.equal(shards[r][it][0], x[r::world_size])
        assert xs.shape[0] == x.shape[0]


def test_channels_last():
    x, _ = next(iter(_loader(channels_last=True).epoch(0)))
    assert x.is_contiguous(memory_format=torch.channels_last)


def test_validation_errors():
    images, labels = _data()
    with pytest.raises(UsageError, match="augmentation"):
        TrainLoader(images, labels, 8, "cpu", 0, 0, "rotate", MEAN, STD)
    with pytest.raises(UsageError, match="batch_size"):
        TrainLoader(images, labels, 0, "cpu", 0, 0, "none", MEAN, STD)
    with pytest.raises(UsageError, match="channels"):
        TrainLoader(images, labels, 8, "cpu", 0, 0, "none", (0.5,), (0.5,))
    with pytest.raises(UsageError, match="rank"):
        TrainLoader(images, labels, 8, "cpu", 0, 0, "none", MEAN, STD, rank=2, world_size=2)


def test_eval_loader_in_order():
    images, labels = _data()
    loader = EvalLoader(images, labels, 20, "cpu", MEAN, STD)
    assert len(loader) == 3
    batches = list(loader)
    assert torch.cat([y for _, y in batches]).tolist() == list(range(N))
    assert torch.equal(_unnormalize(torch.cat([x for x, _ in batches])), images)


def test_subsample_indices():
    idx = subsample_indices(1000, 0.25, seed=3)
    assert idx.shape == (250,) and idx.dtype == torch.int64
    assert torch.equal(idx, idx.sort().values) and len(set(idx.tolist())) == 250
    assert torch.equal(idx, subsample_indices(1000, 0.25, seed=3))
    assert not torch.equal(idx, subsample_indices(1000, 0.25, seed=4))
    assert subsample_indices(10, 0.01, seed=0).numel() == 1
    assert torch.equal(subsample_indices(7, 1.0, seed=0), torch.arange(7))
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(UsageError, match="subsample fraction"):
            subsample_indices(10, bad, seed=0)
