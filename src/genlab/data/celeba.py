"""CelebA from the official files placed by hand (there is no download: the data is behind a click-through).

Expected layout in data_dir()/celeba:
    img_align_celeba/000001.jpg ...      the "Align&Cropped Images" (178x218 JPEGs)
    list_eval_partition.txt              lines "000001.jpg 0" (0 train, 1 validation, 2 test)
Partition 0 is the train split and 2 the test split; the official validation images (1) are not loaded
(training carves its validation split from train: `--validation`). Each image is centre-cropped to 148x148 and resized to
64x64 (the common recipe), or to image_size x image_size. RGB: (N, 3, 64, 64) uint8, unlabelled.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genlab.errors import UsageError
from genlab.paths import data_dir

if TYPE_CHECKING:  # imported where used: the catalog's is_present() must not import torch
    from genlab.data.dataset import Dataset

CROP = 148
DEFAULT_SIZE = 64
PARTITION_FILE = "list_eval_partition.txt"
IMAGE_DIR = "img_align_celeba"


def celeba_dir() -> Path:
    return data_dir() / "celeba"


def is_present(root: Path | None = None) -> bool:
    root = root or celeba_dir()
    return (root / PARTITION_FILE).is_file() and (root / IMAGE_DIR).is_dir()


def read_partition(path: Path) -> dict[int, list[str]]:
    """{0: train file names, 1: validation, 2: test} from list_eval_partition.txt."""
    parts: dict[int, list[str]] = {0: [], 1: [], 2: []}
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise UsageError(f"{path}:{n}: expected 'NAME.jpg 0|1|2', got {line.strip()!r}")
        parts[int(fields[1])].append(fields[0])
    return parts


def decode_centre_crop(path: Path, size: int, *, crop: int = CROP, dataset: str = "celeba") -> np.ndarray:
    """(size, size, 3) uint8: the centre crop x crop (or the short side, if smaller), bilinear-resized (CelebA's
    aligned faces, LFW's centred ones)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise UsageError(f"{dataset}: {path}: not a readable image ({exc})") from None
    w, h = im.size
    s = min(crop, w, h)
    left, top = (w - s) // 2, (h - s) // 2
    return np.asarray(im.crop((left, top, left + s, top + s)).resize((size, size), Image.Resampling.BILINEAR))


def decode_chunk(paths: list[Path], size: int, crop: int = CROP, dataset: str = "celeba") -> np.ndarray:
    """(n, 3, size, size) uint8 for a chunk of paths (the worker function of genlab.data.parallel: module-level,
    torch-free, so spawned workers import it cheaply)."""
    out = np.empty((len(paths), 3, size, size), dtype=np.uint8)
    for i, path in enumerate(paths):
        out[i] = decode_centre_crop(path, size, crop=crop, dataset=dataset).transpose(2, 0, 1)
    return out


def decode_all(paths: list[Path], size: int, *, crop: int, dataset: str, desc: str, pool=None) -> np.ndarray:
    """(N, 3, size, size) uint8, decoded in parallel over the cores (genlab.data.parallel) into one array."""
    from genlab.data.parallel import decode_into

    out = np.empty((len(paths), 3, size, size), dtype=np.uint8)
    return decode_into(out, paths, decode_chunk, (size, crop, dataset), desc=desc, pool=pool)


def _decode_splits(parts: dict[int, list[str]], size: int) -> Dataset:
    import torch

    from genlab.data.dataset import Dataset, Split
    from genlab.data.parallel import worker_pool

    image_dir = celeba_dir() / IMAGE_DIR
    train_paths, test_paths = ([image_dir / name for name in parts[k]] for k in (0, 2))
    missing = [p for p in train_paths + test_paths if not p.is_file()]
    if missing:
        raise UsageError(f"celeba: {len(missing)} image(s) listed in {PARTITION_FILE} are missing from "
                         f"{image_dir}, e.g. {missing[0].name}")

    with worker_pool(len(train_paths) + len(test_paths)) as pool:  # one pool, started before any array fills
        train = decode_all(train_paths, size, crop=CROP, dataset="celeba", desc="celeba: decoding train", pool=pool)
        test = decode_all(test_paths, size, crop=CROP, dataset="celeba", desc="celeba: decoding test", pool=pool)
    return Dataset(name="celeba", train=Split(torch.from_numpy(train)), test=Split(torch.from_numpy(test)),
                   classes=None, kind="image", source_note=f"CelebA aligned, crop {CROP} -> {size}, {celeba_dir()}")


def load_celeba(*, image_size: int | None = None) -> Dataset:
    from genlab.data.cache import cache_key, cached

    root = celeba_dir()
    if not is_present(root):
        raise UsageError(f"celeba: not found; put the official {IMAGE_DIR}/*.jpg and {PARTITION_FILE} "
                         f"(from the CelebA 'Align&Cropped Images' release) in {root}")
    size = image_size or DEFAULT_SIZE
    # The key covers the partition file and the folder's mtime (changes when files are added or removed); the
    # partition's 202,599 lines and the images' stats are read only when the set is decoded.
    key = cache_key("celeba", [root / PARTITION_FILE, root / IMAGE_DIR], image_size=size)
    return cached(key, lambda: _decode_splits(read_partition(root / PARTITION_FILE), size))
