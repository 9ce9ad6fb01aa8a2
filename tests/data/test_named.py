"""The small bundled datasets, the toy data, celeba on a tiny fake layout, and spec handling."""

import math

import numpy as np
import pytest
import torch
from PIL import Image

from genlab.data import Dataset, Split, catalog, gauss_1d, load, names, register, registry, two_moons
from genlab.errors import UsageError


@pytest.mark.parametrize("spec, shape, sizes, classes", [
    ("mnist-5k", (1, 28, 28), (4000, 1000), 10),
    ("digits", (1, 8, 8), (1438, 359), 10),
    ("lfw-faces", (1, 25, 25), (90, 10), None),
])
def test_bundled_real_datasets(spec, shape, sizes, classes):
    ds = load(spec)
    assert ds.sample_shape == shape and (len(ds.train), len(ds.test)) == sizes and ds.num_classes == classes
    assert ds.train.images.dtype == torch.uint8 and ds.kind == "image" and ds.name == spec
    assert int(ds.train.images.max()) > 200  # scaled to the full 0..255 range
    row = next(r for r in catalog() if r["name"] == spec)
    assert (row["train_size"], row["test_size"], tuple(row["shape"])) == (*sizes, shape) and row["available"]


def test_mnist_5k_is_stratified_and_deterministic():
    a, b = load("mnist-5k"), load("mnist-5k")
    assert a.test.labels.bincount().tolist() == [100] * 10
    assert torch.equal(a.test.images, b.test.images)


def test_two_moons_and_rotation():
    ds = load("two-moons")
    assert ds.kind == "toy" and ds.sample_shape == (2,) and len(ds.train) == 150 and ds.num_classes == 2
    assert ds.train.images.dtype == torch.float32 and ds.train.labels.dtype == torch.int64
    x, y = two_moons(2000, noise=0.05, seed=3)
    assert x.mean(0).abs().max() < 0.1 and 0.8 < x.std(0).pow(2).mean().sqrt() < 1.2
    xr, yr = two_moons(2000, noise=0.05, seed=3, rotation_degrees=90.0)
    torch.testing.assert_close(xr, torch.stack([-x[:, 1], x[:, 0]], 1), atol=1e-5, rtol=0)
    assert torch.equal(y, yr)


def test_gauss_1d_samples_and_density():
    ds = load("gauss-1d")
    assert ds.sample_shape == (1,) and ds.train.labels is None and (len(ds.train), len(ds.test)) == (10000, 2000)
    assert abs(ds.train.images.mean() - 4.0) < 0.03 and abs(ds.train.images.std() - 0.5) < 0.02
    x, density = gauss_1d(5, seed=0)
    assert x.shape == (5, 1)
    assert math.isclose(float(density(torch.tensor(4.0))), 1 / (0.5 * math.sqrt(2 * math.pi)), rel_tol=1e-6)
    grid = torch.linspace(-2, 10, 4001)
    for mixture in (False, True):
        _, pdf = gauss_1d(1, seed=0, mixture=mixture)
        assert abs(float(torch.trapezoid(pdf(grid), grid)) - 1.0) < 1e-4
    samples, _ = gauss_1d(20000, seed=1, mixture=True)
    assert abs(float((samples < 4).float().mean()) - 0.5) < 0.02


def _fake_celeba(root, n=8):
    (root / "img_align_celeba").mkdir(parents=True)
    rng = np.random.default_rng(0)
    lines = []
    for i in range(1, n + 1):
        name = f"{i:06d}.jpg"
        Image.fromarray(rng.integers(0, 256, (218, 178, 3), dtype=np.uint8)).save(root / "img_align_celeba" / name)
        lines.append(f"{name} {0 if i <= 5 else (1 if i == 6 else 2)}")
    (root / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")


def test_celeba_on_a_tiny_official_layout(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    with pytest.raises(UsageError, match="img_align_celeba/\\*.jpg and list_eval_partition.txt"):
        load("celeba")
    _fake_celeba(tmp_path / "data" / "celeba")
    ds = load("celeba")
    assert ds.sample_shape == (3, 64, 64) and (len(ds.train), len(ds.test)) == (5, 2) and ds.classes is None
    assert load("celeba", image_size=32).sample_shape == (3, 32, 32)
    assert next(r for r in catalog() if r["name"] == "celeba")["available"]


def test_unknown_spec_lists_what_is_accepted():
    with pytest.raises(UsageError) as info:
        load("fashoin-mnist")
    text = str(info.value)
    assert "'fashoin-mnist'" in text and "fashion-mnist" in text and "idx:PATH" in text and "folder:PATH" in text
    with pytest.raises(UsageError, match="image size"):
        load("digits", image_size=0)
    with pytest.raises(UsageError, match="toy data"):
        load("two-moons", image_size=32)


def test_register_adds_a_name_and_resizes_generically(monkeypatch):
    monkeypatch.setattr(registry, "_NAMES", dict(registry._NAMES))  # undone after the test
    def loader(*, image_size=None):
        s = Split(torch.zeros(4, 1, 6, 6, dtype=torch.uint8), torch.tensor([0, 1, 0, 1]))
        return Dataset(name="?", train=s, test=s, classes=("a", "b"), kind="image", source_note="test")

    register("test-extra", loader, describe=lambda: {
        "available": True, "how_to_get": "-", "shape": (1, 6, 6), "train_size": 4, "test_size": 4,
        "num_classes": 2, "note": ""}, replace=True)
    assert "test-extra" in names()
    ds = load("test-extra", image_size=3)
    assert ds.name == "test-extra" and ds.sample_shape == (1, 3, 3)
    with pytest.raises(ValueError, match="already registered"):
        register("test-extra", loader, describe=dict)
