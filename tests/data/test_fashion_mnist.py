"""The real Fashion-MNIST (Debian's dataset-fashion-mnist), decoded and through the cache."""

import pytest
import torch

from genlab.data import load
from genlab.data.mnist import FASHION_CLASSES

pytestmark = pytest.mark.usefixtures("fashion_mnist_available")


def test_real_fashion_mnist_counts_and_types():
    ds = load("fashion-mnist")
    assert (len(ds.train), len(ds.test)) == (60000, 10000)
    assert ds.sample_shape == (1, 28, 28) and ds.train.images.dtype == torch.uint8
    assert ds.train.labels.dtype == torch.int64 and ds.classes == FASHION_CLASSES and ds.kind == "image"
    assert ds.train.labels.bincount().tolist() == [6000] * 10
    assert ds.test.labels.bincount().tolist() == [1000] * 10
    assert 0 < ds.train.images.float().mean() < 255 and "fashion-mnist" in ds.source_note


def test_cache_round_trip_is_bit_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path))
    decoded = load("fashion-mnist")  # an empty cache: decodes the .gz files, then writes the cache
    assert len(list((tmp_path / "datasets").glob("fashion-mnist-native-*.safetensors"))) == 1
    cached = load("fashion-mnist")
    assert cached.classes == decoded.classes and cached.source_note == decoded.source_note
    for split in ("train", "test"):
        assert torch.equal(getattr(cached, split).images, getattr(decoded, split).images)
        assert torch.equal(getattr(cached, split).labels, getattr(decoded, split).labels)
