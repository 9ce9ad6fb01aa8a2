"""DANN target domains: Ganin's MNIST-M blend |digit - patch| and the rotated two moons."""

import math

import numpy as np
import pytest
import torch

from genlab import data as gdata
from genlab.data import domains
from genlab.errors import UsageError


def _digits(n, seed=0, size=28):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 1, size, size), generator=g, dtype=torch.uint8)


def test_blend_is_per_channel_absolute_difference():
    """A photo of one colour c: every output pixel is exactly |digit - c| in each channel."""
    colour = (10, 200, 77)
    picture = np.broadcast_to(np.array(colour, dtype=np.uint8), (40, 50, 3)).copy()
    d = _digits(5)
    out = domains.blend_with_photos(d, [picture], seed=3)
    assert out.shape == (5, 3, 28, 28) and out.dtype == torch.uint8
    for ch, c in enumerate(colour):
        assert torch.equal(out[:, ch], (d[:, 0].int() - c).abs().to(torch.uint8))


def test_blend_takes_a_contiguous_in_bounds_patch():
    """Pixel (r, c) of this photo stores r in red and c in green: a zero digit reveals each patch's corner."""
    h, w = 60, 70
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    picture = np.stack([rows, cols, np.zeros_like(rows)], -1).astype(np.uint8)
    out = domains.blend_with_photos(torch.zeros(20, 1, 28, 28, dtype=torch.uint8), [picture], seed=1).long()
    tops, lefts = out[:, 0, 0, 0], out[:, 1, 0, 0]
    assert (tops >= 0).all() and (tops <= h - 28).all() and (lefts <= w - 28).all()
    assert torch.equal(out[:, 0], tops[:, None, None] + torch.arange(28)[None, :, None].expand(20, 28, 28))
    assert torch.equal(out[:, 1], lefts[:, None, None] + torch.arange(28)[None, None, :].expand(20, 28, 28))
    assert len(set(tops.tolist())) > 5  # corners really are random


def test_blend_is_deterministic_from_its_seed():
    pictures = domains.photos()
    d = _digits(50)
    a = domains.blend_with_photos(d, pictures, seed=7)
    assert torch.equal(a, domains.blend_with_photos(d, pictures, seed=7))
    assert not torch.equal(a, domains.blend_with_photos(d, pictures, seed=8))


@pytest.fixture(scope="module")
def m5k():
    return gdata.load("mnist-5k"), gdata.load("mnist-5k-m-like")


def test_mnist_5k_m_like_is_rgb_same_size_and_deterministic(m5k):
    source, target = m5k
    assert target.kind == "image" and target.sample_shape == (3, 28, 28)
    assert target.sample_shape[1:] == source.sample_shape[1:]
    assert target.classes == source.classes
    assert len(target.train) == len(target.test) == 500
    assert torch.equal(target.train.labels.bincount(), torch.full((10,), 50))
    again = gdata.load("mnist-5k-m-like")
    assert torch.equal(again.train.images, target.train.images)
    assert torch.equal(again.test.images, target.test.images)
    # colour, not grey: the three channels differ
    assert (target.train.images[:, 0] != target.train.images[:, 1]).float().mean() > 0.5


def test_mnist_5k_m_like_digits_are_disjoint_from_the_source_train_split(m5k):
    source, target = m5k
    train_digits, test_digits = domains.split_pool(source.test, seed=domains.M_LIKE_SEED)
    pictures = domains.photos()
    # the registered data is exactly these digits blended with the registered seeds ...
    assert torch.equal(target.train.images,
                       domains.blend_with_photos(train_digits.images, pictures, seed=domains.M_LIKE_SEED))
    assert torch.equal(target.test.images,
                       domains.blend_with_photos(test_digits.images, pictures, seed=domains.M_LIKE_SEED + 1))
    assert torch.equal(target.train.labels, train_digits.labels)
    # ... and none of those digits is a digit of the source's train split, nor shared by target train/test
    def key(images):
        return {im.numpy().tobytes() for im in images}

    source_train, t_train, t_test = key(source.train.images), key(train_digits.images), key(test_digits.images)
    assert not source_train & t_train and not source_train & t_test and not t_train & t_test


def test_two_moons_rotated_is_the_source_distribution_turned_35_degrees():
    target = gdata.load("two-moons-rotated")
    assert target.sample_shape == (2,) and len(target.train) == len(target.test) == 150
    plain, labels = gdata.two_moons(150, noise=0.05, seed=2)
    a = math.radians(35)
    rot = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    torch.testing.assert_close(target.train.images, plain @ rot.T, rtol=0, atol=1e-6)
    assert torch.equal(target.train.labels, labels)
    assert abs(float(target.train.images.mean())) < 0.1  # centred like the source


def test_mnist_m_like_without_mnist_is_one_line_usage_error():
    from genlab.data.mnist import complete_set
    from genlab.paths import data_dir

    if complete_set(data_dir() / "mnist") is not None:
        pytest.skip("MNIST is present here, so mnist-m-like loads")
    with pytest.raises(UsageError, match="mnist-5k-m-like") as err:
        gdata.load("mnist-m-like")
    assert "\n" not in str(err.value)


def test_catalog_lists_the_domains():
    rows = {r["name"]: r for r in gdata.catalog()}
    assert rows["mnist-5k-m-like"]["shape"] == [3, 28, 28]
    assert rows["two-moons-rotated"]["available"] is True
