"""Target domains for domain-adversarial training (Ganin et al., JMLR 2016), registered as data specs
(in genlab.data.builtin, their describe functions in genlab.data.describe):

- `two-moons-rotated`: Ganin's toy target (Sec. 5.1): the two moons of `two-moons`, rotated 35 degrees;
- `mnist-5k-m-like`, `mnist-m-like`: Ganin's MNIST-M construction (Sec. 5.2.2): each digit blended with a
  random patch of a colour photo, per channel |digit - patch|, RGB 28x28. Ganin cropped BSDS500 photos;
  here the colour photos that ship with scikit-image (offline) play their part.

Disjointness: the target digits come from the *test* split of the source dataset (`mnist-5k` or `mnist`),
cut in half (stratified) into target train and target test. So no digit the label classifier learns from
(source train) ever appears in the target, and target train and target test share no digit. (Ganin's real
MNIST-M reuses the MNIST training digits; that leaks digit shapes into the target and is avoided here.)
"""

from __future__ import annotations

import numpy as np
import torch

from genlab.data import mnist, toy
from genlab.data.dataset import Dataset, Split, stratified_indices
from genlab.data.describe import DOMAIN_MOONS_N
from genlab.data.registry import load
from genlab.errors import UsageError
from genlab.paths import data_dir

ROTATION_DEGREES = 35.0     # Ganin et al. 2016, Sec. 5.1: the target is the source rotated by 35 degrees
MOONS_N, MOONS_NOISE = DOMAIN_MOONS_N, 0.05  # the catalog's describe function states the size too
# Colour photos in skimage.data that need no download (checked with scikit-image 0.26). Mostly-dark or
# synthetic images (hubble_deep_field, retina, colorwheel) are left out: a black patch leaves the digit as is.
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry")
M_LIKE_SEED = 0             # the registered specs' blending seed (train uses it, test uses it + 1)


def load_two_moons_rotated(*, image_size: int | None = None) -> Dataset:
    """The target of Ganin's toy: 150 train (seed 2) and 150 test (seed 3) points of `two-moons`'s
    distribution (noise 0.05, centred and scaled) rotated by 35 degrees about the centre, labels = moon."""
    def make(seed: int) -> Split:
        return Split(*toy.two_moons(MOONS_N, noise=MOONS_NOISE, seed=seed, rotation_degrees=ROTATION_DEGREES))

    return Dataset(name="two-moons-rotated", train=make(2), test=make(3),
                   classes=("upper", "lower"), kind="toy",
                   source_note="sklearn make_moons, noise 0.05, centred, scaled, rotated 35 degrees")


def photos() -> list[np.ndarray]:
    """The colour photos patches are cut from: (H, W, 3) uint8 arrays, in PHOTOS order."""
    try:
        import skimage.data
    except ImportError:
        raise UsageError("MNIST-M-like data needs the Python package scikit-image (pip install "
                         "scikit-image, or pip install 'genlab[faces]')") from None
    try:
        return [np.ascontiguousarray(getattr(skimage.data, name)()[..., :3]) for name in PHOTOS]
    except Exception as exc:  # noqa: BLE001 - a missing bundled file: one line, not a traceback
        raise UsageError(f"scikit-image could not provide its sample photos ({type(exc).__name__}: {exc}); "
                         "reinstall scikit-image") from None


def blend_with_photos(digits: torch.Tensor, pictures: list[np.ndarray], *, seed: int) -> torch.Tensor:
    """Ganin's MNIST-M blend: out[c] = |digit - patch[c]| per channel, one random patch per digit.

    digits: (N, 1, H, W) uint8. pictures: (h, w, 3) uint8 arrays, each at least H x W.
    Returns (N, 3, H, W) uint8. Photo choice and patch corners come from numpy's PCG64 seeded by `seed`
    alone, so the result is the same on every machine and every call.
    """
    n, _, h, w = digits.shape
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(pictures), size=n)
    corner_u, corner_v = rng.random(n), rng.random(n)  # fractions, scaled to each photo's free range
    out = np.empty((n, 3, h, w), dtype=np.uint8)
    d = digits[:, 0].numpy().astype(np.int16)                                   # (N, H, W)
    for k, pic in enumerate(pictures):
        idx = np.flatnonzero(which == k)
        if not len(idx):
            continue
        top = (corner_u[idx] * (pic.shape[0] - h + 1)).astype(np.int64)        # (n_k,)
        left = (corner_v[idx] * (pic.shape[1] - w + 1)).astype(np.int64)
        rows = top[:, None, None] + np.arange(h)[None, :, None]                 # (n_k, H, 1)
        cols = left[:, None, None] + np.arange(w)[None, None, :]                # (n_k, 1, W)
        patch = pic[rows, cols].astype(np.int16)                                # (n_k, H, W, 3)
        out[idx] = np.abs(d[idx][..., None] - patch).transpose(0, 3, 1, 2).astype(np.uint8)
    return torch.from_numpy(out)


def split_pool(pool: Split, *, seed: int) -> tuple[Split, Split]:
    """(train, test) grayscale digits: a labelled pool (N, 1, H, W) uint8 cut in half, stratified by label."""
    if pool.labels is None or pool.images.dim() != 4 or pool.images.shape[1] != 1:
        raise UsageError(f"MNIST-M-like data needs labelled grayscale digits (N, 1, H, W), got "
                         f"{tuple(pool.images.shape)}{'' if pool.labels is not None else ' without labels'}")
    kept, held = stratified_indices(pool.labels, 0.5, seed=seed)
    return pool.subset(kept), pool.subset(held)


def m_like(pool: Split, *, seed: int, name: str, source: str) -> Dataset:
    """An MNIST-M-like dataset from a labelled pool of grayscale digits (N, 1, H, W) uint8: `split_pool`,
    then each half blended with photo patches (train with `seed`, test with `seed + 1`)."""
    train, test = split_pool(pool, seed=seed)
    pictures = photos()
    return Dataset(name=name, train=Split(blend_with_photos(train.images, pictures, seed=seed), train.labels),
                   test=Split(blend_with_photos(test.images, pictures, seed=seed + 1), test.labels),
                   classes=tuple(str(d) for d in range(10)), kind="image",
                   source_note=f"the test digits of {source} blended with skimage photo patches, |digit - patch| "
                               "per channel (Ganin et al. 2016, MNIST-M)")


def load_mnist_5k_m_like(*, image_size: int | None = None) -> Dataset:
    """500 train / 500 test RGB 28x28 digits-on-photos from mnist-5k's 1,000 test digits (never its train)."""
    return m_like(load("mnist-5k").test, seed=M_LIKE_SEED, name="mnist-5k-m-like", source="mnist-5k")


def load_mnist_m_like(*, image_size: int | None = None) -> Dataset:
    """5,000 train / 5,000 test RGB 28x28 digits-on-photos from MNIST's 10,000 test digits."""
    if mnist.complete_set(data_dir() / "mnist") is None:
        raise UsageError(f"mnist-m-like: needs MNIST in {data_dir() / 'mnist'} (`genlab datasets show mnist` "
                         "downloads it); offline, use mnist-5k-m-like")
    return m_like(load("mnist").test, seed=M_LIKE_SEED, name="mnist-m-like", source="mnist")
