"""Tests of genlab.data. Helpers shared by them: writing files in the real IDX format."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

IDX_CODES = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B,
             np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of `array`: 0, 0, type code, rank, big-endian uint32 dims, big-endian data."""
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, *, gz: bool | None = None) -> Path:
    """Write `array` as IDX at path; gzip-compressed when gz (default: when the name ends in .gz)."""
    data = idx_bytes(array)
    gz = path.name.endswith(".gz") if gz is None else gz
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_mnist_like(folder: Path, *, n_train: int = 60, n_test: int = 20, size: int = 28,
                     seed: int = 0) -> dict[str, np.ndarray]:
    """The four MNIST-named .gz files with random pixels and labels 0..9; returns the arrays written."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, size, size), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": (np.arange(n_train) % 10).astype(np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, size, size), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": (np.arange(n_test) % 10).astype(np.uint8)}
    for name, array in arrays.items():
        write_idx(folder / name, array)
    return arrays
