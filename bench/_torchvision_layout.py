"""Shared by the benchmarks: the real IDX files laid out the way torchvision's FashionMNIST class reads them,
so each baseline runs the public examples' own data path."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

FMNIST = Path("/usr/share/datasets/fashion-mnist")


def torchvision_root(root: Path, source: Path = FMNIST) -> Path:
    """root/FashionMNIST/raw/<the four IDX files of `source`, decompressed>; returns root."""
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for gz in source.glob("*-ubyte.gz"):
        with gzip.open(gz, "rb") as src, open(raw / gz.name[:-3], "wb") as dst:
            shutil.copyfileobj(src, dst)
    return root
