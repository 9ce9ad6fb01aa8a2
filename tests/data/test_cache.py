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
    assert calls == [1] and first.owns_tensors and torch.equal(first.train.images, ds.train.images)
    assert second.train.labels is None and torch.equal(second.test.labels, ds.test.labels)
    assert torch.equal(second.train.images, ds.train.images) and second.kind == "toy"
    assert not list(tmp_path.glob("datasets/.*tmp"))  # the atomic write left no temp file


def test_hold_out_in_place_gives_the_items_of_the_copy(tmp_path):
    gen = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (50, 1, 3, 3), dtype=torch.uint8, generator=gen)
    labels = torch.randint(0, 4, (50,), generator=gen)

    def fresh():
        return Dataset(name="t", train=Split(images.clone(), labels.clone()), test=Split(images[:2], labels[:2]),
                       classes=("a", "b", "c", "d"), kind="image", source_note="", owns_tensors=True)

    copied, copied_val = fresh().hold_out(7, seed=3)
    owned = fresh()
    storage = owned.train.images.untyped_storage().data_ptr()
    moved, moved_val = owned.hold_out(7, seed=3, in_place=True)
    assert len(moved.train) == 43 and len(moved_val) == 7
    assert torch.equal(moved.train.images, copied.train.images) and torch.equal(moved.train.labels, copied.train.labels)
    assert torch.equal(moved_val.images, copied_val.images) and torch.equal(moved_val.labels, copied_val.labels)
    assert moved.train.images.untyped_storage().data_ptr() == storage  # the same memory, not a copy
    with pytest.raises(ValueError):
        fresh().replace(owns_tensors=False).hold_out(7, seed=3, in_place=True)


def test_carve_test_in_place_matches_the_copy():
    from genlab.data.dataset import carve_test

    images = torch.arange(200, dtype=torch.float32).reshape(100, 2)
    a_train, a_test = carve_test(Split(images.clone()), 0.1, seed=5)
    b_train, b_test = carve_test(Split(images.clone()), 0.1, seed=5, in_place=True)
    assert torch.equal(a_train.images, b_train.images) and torch.equal(a_test.images, b_test.images)


def test_loaded_sets_own_their_tensors(small_set):
    first = load(small_set)  # decoded
    second = load(small_set)  # from the cache
    assert first.owns_tensors and second.owns_tensors
    assert first.train.images.data_ptr() != second.train.images.data_ptr()
