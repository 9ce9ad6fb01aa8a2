"""IDX files as a Dataset: pairing images with labels and train with test (the `idx:PATH` spec).

Rules for `idx:PATH` (PATH is an image file, gzip or raw, any IDX type):
- labels: the sibling whose name has "images" -> "labels" and "idx3" -> "idx1"
  (`X-images-idx3-ubyte[.gz]` -> `X-labels-idx1-ubyte[.gz]`, `X-images.idx3-ubyte` -> `X-labels.idx1-ubyte`),
  with or without ".gz"; no such file -> unlabelled.
- test split: when the name starts with "train" and the sibling with "train" -> "t10k" exists, that file
  (and its labels) is the test split; otherwise a deterministic 10% of the items (seed 0) is held out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genlab.data.cache import cache_key, cached
from genlab.data.dataset import Dataset, Split, carve_test
from genlab.data.idx import read_idx
from genlab.data.images import resize_images
from genlab.errors import UsageError


def _sibling(path: Path, name: str) -> Path | None:
    """The existing file called `name` (or `name` +/- ".gz") beside `path`, if any."""
    stem = name.removesuffix(".gz")
    for candidate in (path.with_name(name), path.with_name(stem), path.with_name(stem + ".gz")):
        if candidate != path and candidate.is_file():
            return candidate
    return None


def labels_sibling(images: Path) -> Path | None:
    if "images" not in images.name:
        return None
    return _sibling(images, images.name.replace("images", "labels").replace("idx3", "idx1"))


def test_sibling(images: Path) -> Path | None:
    if not images.name.startswith("train"):
        return None
    return _sibling(images, "t10k" + images.name[len("train"):])


def as_nchw_uint8(array: np.ndarray, path: Path) -> torch.Tensor:
    """(N, H, W) or (N, H, W, C) / (N, C, H, W) with C in {1, 3} -> (N, C, H, W) uint8.

    uint8 stays as is; other integer data must lie in [0, 255]; float data in [0, 1] is scaled by 255.
    """
    if array.ndim == 3:
        array = array[:, None]
    elif array.ndim == 4 and array.shape[-1] in (1, 3) and array.shape[1] not in (1, 3):
        array = array.transpose(0, 3, 1, 2)
    elif not (array.ndim == 4 and array.shape[1] in (1, 3)):
        raise UsageError(f"{path}: images must be IDX rank 3 (N, H, W) or rank 4 with 1 or 3 channels, "
                         f"got shape {array.shape}")
    return torch.from_numpy(_to_uint8(array, path).copy())


def _to_uint8(array: np.ndarray, path: Path) -> np.ndarray:
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    lo, hi = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
    if np.issubdtype(array.dtype, np.floating) and 0.0 <= lo and hi <= 1.0:
        return np.ascontiguousarray(np.round(array * 255.0).astype(np.uint8))
    if np.issubdtype(array.dtype, np.integer) and 0 <= lo and hi <= 255:
        return np.ascontiguousarray(array.astype(np.uint8))
    raise UsageError(f"{path}: {array.dtype} pixel values span [{lo:g}, {hi:g}]; "
                     f"accepted: integers in [0, 255] or floats in [0, 1]")


def read_labels(path: Path, count: int) -> torch.Tensor:
    """(count,) int64 labels from an IDX rank-1 integer file; the count must match the images."""
    array = read_idx(path)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise UsageError(f"{path}: labels must be a rank-1 integer IDX file, got {array.dtype} {array.shape}")
    if len(array) != count:
        raise UsageError(f"{path}: {len(array)} labels for {count} images")
    if len(array) and array.min() < 0:
        raise UsageError(f"{path}: negative label {int(array.min())}")
    return torch.from_numpy(array.astype(np.int64))


def read_split(images: Path, labels: Path | None) -> Split:
    """One split from an image IDX file and, optionally, its labels file."""
    x = as_nchw_uint8(read_idx(images), images)
    y = read_labels(labels, len(x)) if labels is not None else None
    return Split(x, y)


def class_names(*splits: Split) -> tuple[str, ...] | None:
    """("0", ..., "K-1") for labelled splits (K = largest label + 1), else None."""
    labelled = [s.labels for s in splits if s.labels is not None and len(s.labels)]
    if not labelled:
        return None
    return tuple(str(i) for i in range(int(max(int(y.max()) for y in labelled)) + 1))


def idx_sources(images: Path) -> list[Path]:
    """Every file the dataset for `images` is built from (what the cache key must cover)."""
    test = test_sibling(images)
    found = [images, labels_sibling(images), test, test and labels_sibling(test)]
    return [p for p in found if p is not None]


def decode_idx_dataset(images: Path, *, name: str, source_note: str,
                       classes: tuple[str, ...] | None = None) -> Dataset:
    """Decode `images` (+ labels and test sibling by the module's rules) into a Dataset, no cache."""
    train = read_split(images, labels_sibling(images))
    test_images = test_sibling(images)
    if test_images is not None:
        test = read_split(test_images, labels_sibling(test_images))
        if test.images.shape[1:] != train.images.shape[1:]:
            raise UsageError(f"{test_images}: image shape {tuple(test.images.shape[1:])} differs from "
                             f"{images}'s {tuple(train.images.shape[1:])}")
        if (test.labels is None) != (train.labels is None):
            raise UsageError(f"{images}: only one of the train/test files has a labels file beside it")
    else:
        train, test = carve_test(train, 0.1, seed=0, in_place=True)
    return Dataset(name=name, train=train, test=test, classes=classes or class_names(train, test),
                   kind="image", source_note=source_note)


def load_idx_cached(images: Path, *, name: str, source_note: str, image_size: int | None,
                    classes: tuple[str, ...] | None = None) -> Dataset:
    """`decode_idx_dataset` through the disk cache; resized copies are cached under their own key."""
    sources = idx_sources(images)
    base = cached(cache_key(name, sources),
                  lambda: decode_idx_dataset(images, name=name, source_note=source_note, classes=classes))
    if image_size is None or base.sample_shape[1:] == (image_size, image_size):
        return base
    return cached(cache_key(name, sources, image_size=image_size), lambda: base.replace(
        train=Split(resize_images(base.train.images, image_size), base.train.labels),
        test=Split(resize_images(base.test.images, image_size), base.test.labels)))


def load_idx_spec(path: str, *, image_size: int | None = None) -> Dataset:
    """The `idx:PATH` form."""
    images = Path(path).expanduser()
    if not images.is_file():
        raise UsageError(f"idx:{path}: no such file (expected an IDX image file, e.g. train-images-idx3-ubyte.gz)")
    return load_idx_cached(images, name=f"idx:{path}", source_note=f"IDX file {images}", image_size=image_size)
