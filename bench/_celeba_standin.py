"""A stand-in for CelebA at its real scale: the official layout, file names, split sizes and image size.

ROOT/celeba/img_align_celeba/000001.jpg ... 202599.jpg (178x218 RGB JPEGs, quality 90, about 8 KB each, close to
the release's ~7 KB) and ROOT/celeba/list_eval_partition.txt (162,770 train, 19,867 validation, 19,962 test, in
the release's order). The pixels are smooth colour fields plus grain, not faces: what is measured with it is
decoding, caching and memory at scale, never what a model learns. A file ROOT/celeba/.complete marks a finished
build, so an interrupted one is resumed, skipping the images already written.
Usage: python bench/_celeba_standin.py ROOT [--workers N]
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

TRAIN, VALIDATION, TEST = 162_770, 19_867, 19_962
TOTAL = TRAIN + VALIDATION + TEST  # 202,599
WIDTH, HEIGHT = 178, 218
BASES = 32
MARKER = ".complete"


def _bases() -> tuple[list[np.ndarray], np.ndarray]:
    """A few smooth colour fields and one grain image; each file is a base plus a shifted window of the grain."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    bases = []
    for _ in range(BASES):
        img = np.zeros((HEIGHT, WIDTH, 3), np.float32) + rng.uniform(40, 200, 3)
        for _ in range(6):
            cy, cx, s = rng.uniform(0, HEIGHT), rng.uniform(0, WIDTH), rng.uniform(15, 60)
            blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
            img += blob[..., None] * rng.uniform(-90, 90, 3)
        bases.append(np.clip(img, 10, 245).astype(np.int16))
    grain = rng.integers(-5, 6, (HEIGHT + 64, WIDTH + 64, 1), dtype=np.int16)
    return bases, grain


def _write_range(image_dir: str, start: int, stop: int) -> int:
    from PIL import Image

    bases, grain = _bases()
    for number in range(start, stop):
        path = os.path.join(image_dir, f"{number:06d}.jpg")
        if os.path.exists(path):
            continue
        rng = np.random.default_rng(number)
        oy, ox = rng.integers(0, 64, 2)
        img = bases[rng.integers(BASES)] + grain[oy:oy + HEIGHT, ox:ox + WIDTH] + rng.integers(-30, 31, 3)
        tmp = path + ".part"
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(tmp, "JPEG", quality=90)
        os.replace(tmp, path)
    return stop - start


def partition_lines() -> list[str]:
    lines = []
    for number in range(1, TOTAL + 1):
        part = 0 if number <= TRAIN else 1 if number <= TRAIN + VALIDATION else 2
        lines.append(f"{number:06d}.jpg {part}")
    return lines


def build(root: Path, workers: int | None = None) -> Path:
    """ROOT/celeba, built if it is not already complete; returns it."""
    celeba = root / "celeba"
    if (celeba / MARKER).is_file():
        return celeba
    image_dir = celeba / "img_align_celeba"
    image_dir.mkdir(parents=True, exist_ok=True)
    step = 5000
    ranges = [(i, min(i + step, TOTAL + 1)) for i in range(1, TOTAL + 1, step)]
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        done = 0
        for n in pool.map(_write_range, [str(image_dir)] * len(ranges), *zip(*ranges)):
            done += n
            print(f"stand-in: {done}/{TOTAL} images", flush=True)
    (celeba / "list_eval_partition.txt").write_text("\n".join(partition_lines()) + "\n")
    (celeba / MARKER).write_text("ok\n")
    return celeba


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    print(build(args.root, args.workers))


if __name__ == "__main__":
    main()
