"""One shuffled epoch of Fashion-MNIST batches: genlab's in-memory uint8 tensor vs torchvision's per-sample pipeline.

genlab: load() once, then per batch index the (60000, 1, 28, 28) uint8 tensor with epoch_permutation and
convert with to_float. Baseline: torchvision.datasets.FashionMNIST over the same IDX files (decompressed
into a temporary root, as its raw/ layout expects), transform=ToTensor(), DataLoader(batch_size=128,
shuffle=True, num_workers=0): a PIL image and a ToTensor call per sample.
Also times the first load (decoding the .gz files) against a load from genlab's cache.
Prints one JSON object.   Usage: python bench/data.py [--repeats N] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch
from _torchvision_layout import torchvision_root  # bench/ is on sys.path when run as a script

BATCH = 128


def time_genlab_epoch(images: torch.Tensor, labels: torch.Tensor) -> float:
    from genlab.data import epoch_permutation, to_float

    start = time.perf_counter()
    perm = epoch_permutation(len(images), seed=0, epoch=0)
    for i in range(0, len(perm), BATCH):
        idx = perm[i:i + BATCH]
        x = to_float(images.index_select(0, idx))  # (128, 1, 28, 28) float32 in [0, 1]
        y = labels.index_select(0, idx)  # (128,) int64
        del x, y  # a training step would consume the batch here
    return time.perf_counter() - start


def time_baseline_epoch(root: Path) -> float:
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    dataset = datasets.FashionMNIST(str(root), train=True, download=False, transform=transforms.ToTensor())
    loader = DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=0)
    start = time.perf_counter()
    for _x, _y in loader:
        pass
    return time.perf_counter() - start


def time_loads(cache: Path) -> tuple[float, float, object]:
    """(first load with an empty cache, second load from the cache, the dataset)."""
    os.environ["GENLAB_CACHE"] = str(cache)
    from genlab.data import load

    start = time.perf_counter()
    load("fashion-mnist")
    first = time.perf_counter() - start
    start = time.perf_counter()
    dataset = load("fashion-mnist")
    return first, time.perf_counter() - start, dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="time each side N times, keep the fastest")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="genlab-bench-") as tmp:
        first, cached, dataset = time_loads(Path(tmp) / "cache")
        from genlab.data.mnist import fashion_location

        root = torchvision_root(Path(tmp) / "tv", fashion_location().parent)
        images, labels = dataset.train.images, dataset.train.labels
        genlab_s = min(time_genlab_epoch(images, labels) for _ in range(args.repeats))
        baseline_s = min(time_baseline_epoch(root) for _ in range(args.repeats))
    print(json.dumps({
        "genlab_s": round(genlab_s, 4), "baseline_s": round(baseline_s, 4),
        "speedup": round(baseline_s / genlab_s, 1), "unit": "one epoch of batches, batch 128",
        "n_images": len(images), "batch_size": BATCH, "device": "cpu", "torch_threads": torch.get_num_threads(),
        "first_load_s": round(first, 4), "cached_load_s": round(cached, 4),
        "baseline": "torchvision.datasets.FashionMNIST + ToTensor + DataLoader(shuffle=True, num_workers=0)",
    }))


if __name__ == "__main__":
    main()
