"""Data order, validation splits, float conversion and PNG grids."""

import numpy as np
import pytest
import torch
from PIL import Image

from genlab.data import Dataset, Split, epoch_permutation, iterate_batches, save_grid, to_float


def test_epoch_permutation_is_deterministic_and_ignores_global_rng():
    torch.manual_seed(123)
    a = epoch_permutation(1000, seed=7, epoch=3)
    torch.manual_seed(456)
    torch.rand(10)
    b = epoch_permutation(1000, seed=7, epoch=3)
    assert torch.equal(a, b) and a.dtype == torch.int64
    assert torch.equal(a.sort().values, torch.arange(1000))
    others = [epoch_permutation(1000, seed=s, epoch=e) for s, e in [(7, 4), (8, 3), (3, 7)]]
    assert all(not torch.equal(a, o) for o in others)


def test_iterate_batches_covers_the_split_once():
    split = Split(torch.arange(10).view(10, 1), torch.arange(10))
    batches = list(iterate_batches(split, 4, seed=0, epoch=0))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat([b.labels for b in batches]).tolist()) == list(range(10))
    assert [len(b) for b in iterate_batches(split, 4, seed=0, epoch=0, drop_last=True)] == [4, 4]


def _dataset(n=100):
    split = Split(torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1), torch.arange(n) % 3)
    return Dataset(name="t", train=split, test=split, classes=("a", "b", "c"), kind="image", source_note="")


def test_validation_split_is_deterministic_and_disjoint():
    ds = _dataset()
    rest, val = ds.validation_split(0.1, seed=0)
    assert (len(rest), len(val)) == (90, 10)
    seen = torch.cat([rest.images.flatten(), val.images.flatten()]).sort().values
    assert torch.equal(seen, torch.arange(100, dtype=torch.uint8))
    assert torch.equal(ds.validation_split(0.1, seed=0)[1].images, val.images)
    assert not torch.equal(ds.validation_split(0.1, seed=1)[1].images, val.images)
    assert torch.equal(val.labels, val.images.flatten().long() % 3)  # labels stay with their images


def test_to_float_and_sample_shape():
    x = torch.tensor([0, 51, 255], dtype=torch.uint8).view(3, 1, 1, 1)
    assert to_float(x).flatten().tolist() == pytest.approx([0.0, 0.2, 1.0])
    assert to_float(x).dtype == torch.float32
    toy = torch.randn(4, 2)
    assert to_float(toy) is toy
    with pytest.raises(ValueError, match="not torch.int64"):  # 0..255 as int64 would pass through unscaled
        to_float(x.long())
    assert _dataset().sample_shape == (1, 1, 1) and _dataset().num_classes == 3


@pytest.mark.parametrize("channels, dtype", [(1, torch.uint8), (3, torch.float32)])
def test_save_grid_writes_a_png(tmp_path, channels, dtype):
    images = torch.rand(10, channels, 5, 7)
    images = (images * 255).to(torch.uint8) if dtype == torch.uint8 else images
    path = tmp_path / "sub" / "grid.png"
    save_grid(images, path, nrow=4)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == (4 * 9 + 2, 3 * 7 + 2)
        assert im.mode == ("L" if channels == 1 else "RGB")
        pixels = np.asarray(im)
    first = pixels[2:7, 2:9]
    expected = images[0].permute(1, 2, 0).squeeze(-1)
    expected = expected if dtype == torch.uint8 else (expected * 255).round().to(torch.uint8)
    assert np.array_equal(first, expected.numpy())
    assert [p.name for p in path.parent.iterdir()] == ["grid.png"]


def test_evenly_samples_a_class_sorted_split_in_order():
    labels = torch.arange(10).repeat_interleave(40)  # stored sorted by class, as mnist-5k is
    split = Split(torch.arange(400).view(400, 1), labels)
    part = split.evenly(100)
    assert torch.bincount(part.labels, minlength=10).tolist() == [10] * 10  # the first 100: classes 0-2 only
    assert part.images.flatten().tolist() == sorted(part.images.flatten().tolist())
    assert torch.equal(part.labels, part.images.flatten() // 40)  # each item keeps its own label
    assert split.evenly(None) is split and split.evenly(400) is split and split.evenly(1000) is split
    assert split.evenly(1).images.tolist() == [[0]]
    assert Split(torch.zeros(3, 2)).evenly(2).labels is None
    with pytest.raises(ValueError, match="n must be"):
        split.evenly(-1)
