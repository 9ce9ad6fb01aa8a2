"""The dataset cache: keyed on sources, atomic, and a damaged file is rebuilt rather than trusted."""

import os

import pytest
import torch

from genlab.data import load
from genlab.data.cache import cache_key, cached, read_cache
from genlab.data.dataset import Dataset, Split
from tests.data import write_mnist_like


@pytest.fixture
def small_set(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    write_mnist_like(tmp_path / "set", n_train=30, n_test=10, size=8)
    return f"idx:{tmp_path / 'set' / 'train-images-idx3-ubyte.gz'}"


def _entry(tmp_path):
    (path,) = (tmp_path / "cache" / "datasets").glob("*-native-*.safetensors")
    return path


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip", "empty"])
def test_corrupt_cache_is_ignored_and_rebuilt(tmp_path, small_set, damage):
    good = load(small_set)
    path = _entry(tmp_path)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "garbage":
        data = bytearray(b"not a safetensors file" * 10)
    elif damage == "flip":
        data[-5] ^= 0xFF  # a value inside a tensor: only the stored CRC notices
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    assert read_cache(path) is None
    again = load(small_set)
    assert torch.equal(again.train.images, good.train.images) and torch.equal(again.test.labels, good.test.labels)
    assert read_cache(path) is not None  # rewritten whole


def test_changed_source_changes_the_key(tmp_path, small_set):
    source = tmp_path / "set" / "train-labels-idx1-ubyte.gz"
    before = cache_key("x", [source])
    os.utime(source, ns=(0, 0))  # same bytes, another mtime: treated as edited
    assert cache_key("x", [source]) != before
    assert cache_key("x", [source], image_size=32) != cache_key("x", [source])


def test_cache_keeps_unlabelled_and_float_data(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path))
    ds = Dataset(name="t", train=Split(torch.randn(5, 2)), test=Split(torch.randn(3, 2), torch.arange(3)),
                 classes=None, kind="toy", source_note="note")
    calls = []
    first = cached("k", lambda: calls.append(1) or ds)
    second = cached("k", lambda: calls.append(1) or ds)
    assert calls == [1] and first is ds
    assert second.train.labels is None and torch.equal(second.test.labels, ds.test.labels)
    assert torch.equal(second.train.images, ds.train.images) and second.kind == "toy"
    assert not list(tmp_path.glob("datasets/.*tmp"))  # the atomic write left no temp file
