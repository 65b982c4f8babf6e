"""Real MNIST / Fashion-MNIST from ../shared/data (skipped when absent)."""
from __future__ import annotations

import torch

from sparselab.data import registry


def test_real_mnist(shared_data):
    registry.clear_cache()
    train, test = registry.load("mnist", shared_data)
    assert len(train) == 60000 and len(test) == 10000
    assert train.images.shape == (60000, 1, 28, 28) and train.images.dtype == torch.uint8
    assert torch.bincount(train.labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    source = registry.get_source("mnist")
    pixels = train.images.float() / 255
    assert abs(pixels.mean().item() - source.mean[0]) < 1e-3 and abs(pixels.std().item() - source.std[0]) < 1e-3


def test_real_fashion_mnist(shared_data):
    train, test = registry.load("fashion_mnist", shared_data)
    assert len(train) == 60000 and len(test) == 10000
    assert torch.bincount(train.labels).tolist() == [6000] * 10
    assert torch.bincount(test.labels).tolist() == [1000] * 10
    registry.clear_cache()
