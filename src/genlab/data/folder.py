"""A folder of image files as a Dataset (the `folder:PATH` spec).

Rules:
- every file below PATH (recursively) whose extension is .png, .jpg, .jpeg, .webp, .bmp or .gif is an
  image; other files are skipped with one warning line on stderr saying how many;
- images must share one size, unless an image size is given: then each is centre-cropped to a square
  and resized (bilinear, antialiased) to image_size x image_size;
- grayscale (1 channel) when every image is grayscale, else RGB (3 channels);
- labels follow the ImageFolder convention: when every image lies inside one of at least two direct
  subfolders, the subfolder names (sorted) are the classes; otherwise the data is unlabelled;
- a deterministic 10% of the images (seed 0) is the test split.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genlab.errors import UsageError

if TYPE_CHECKING:  # torch is imported where used: decoding workers import this module and need no torch
    import torch

    from genlab.data.dataset import Dataset

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")
GRAY_MODES = ("1", "L", "LA")


HIGH_BIT_GRAY = ("I;16", "I;16B", "I;16L", "I;16N", "I")  # 16-bit grayscale PNG/TIFF, as PIL opens them


def scan(root: Path) -> tuple[list[Path], int]:
    """(image files sorted by path, number of other files skipped, broken links included), recursively below
    root, through symlinked folders too (each real folder once, so a link loop ends)."""
    images, skipped, seen = [], 0, set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            subfolders[:] = []
            continue
        seen.add(real)
        for name in names:
            p = Path(folder) / name
            if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file():
                images.append(p)
            else:
                skipped += 1
    return sorted(images), skipped


def class_labels(root: Path, files: list[Path]) -> tuple[tuple[str, ...], torch.Tensor] | None:
    """(class names, (N,) int64 labels) when the files follow root/CLASS/..., else None."""
    import torch

    parts = [f.relative_to(root).parts for f in files]
    if any(len(p) < 2 for p in parts):
        return None  # an image directly in root: not the one-subfolder-per-class layout
    classes = tuple(sorted({p[0] for p in parts}))
    if len(classes) < 2:
        return None
    index = {name: i for i, name in enumerate(classes)}
    return classes, torch.tensor([index[p[0]] for p in parts], dtype=torch.int64)


def _open(path: Path, *, decode: bool = True):
    """A PIL image (pixels loaded unless decode=False); an unreadable file is a UsageError naming it."""
    from PIL import Image, UnidentifiedImageError

    image = None
    try:
        image = Image.open(path)
        if decode:
            image.load()
        return image
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        if image is not None:
            image.close()
        raise UsageError(f"{path}: not a readable image ({exc})") from None


def _is_gray(image) -> bool:
    """True for grayscale modes, and for palette images (GIF) whose palette holds only grays."""
    if image.mode in GRAY_MODES or image.mode in HIGH_BIT_GRAY:
        return True
    if image.mode != "P":
        return False
    palette = image.getpalette() or []
    return all(palette[i] == palette[i + 1] == palette[i + 2] for i in range(0, len(palette) - 2, 3))


def _eight_bit(image, path: Path):
    """16-bit grayscale scaled to 8 bits (v / 257: 65535 -> 255); PIL's own convert would clip it at 255, so a
    16-bit image came out nearly white. Float images have no agreed range: refused."""
    from PIL import Image

    if image.mode in HIGH_BIT_GRAY:
        values = np.asarray(image, dtype=np.float64)
        return Image.fromarray(np.clip(np.round(values / 257.0), 0, 255).astype(np.uint8), mode="L")
    if image.mode == "F":
        raise UsageError(f"{path}: a 32-bit float image; save it as 8- or 16-bit PNG")
    return image


def _square_resize(image, size: int):
    """Centre-crop the largest square, then resize to size x size (bilinear; PIL antialiases when shrinking)."""
    from PIL import Image

    w, h = image.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    return image.crop((left, top, left + s, top + s)).resize((size, size), Image.Resampling.BILINEAR)


def decode_images(files: list[Path], *, image_size: int | None) -> torch.Tensor:
    """(N, C, H, W) uint8 from image files; C = 1 when all are grayscale, else 3 (decoded in parallel over the
    cores for big sets: genlab.data.parallel)."""
    import torch

    from genlab.data.parallel import decode_into
    from genlab.progress import Progress

    headers = {}
    with Progress(total=len(files), desc="scanning images", unit="file") as bar:
        for f in files:  # headers only: modes and sizes, before any pixel is decoded
            with _open(f, decode=False) as im:
                headers[f] = (_is_gray(im), im.size)
            bar.update(1)
    gray = all(is_gray for is_gray, _ in headers.values())
    if image_size is None:
        sizes = {size for _, size in headers.values()}
        if len(sizes) > 1:
            (w1, h1), (w2, h2) = sorted(sizes)[:2]
            raise UsageError(f"images differ in size ({w1}x{h1}, {w2}x{h2}, ...); pass an image size "
                             f"(--image-size N) to resize them all to N x N")
    if image_size is not None:
        h = w = image_size
    else:
        w, h = next(iter(headers.values()))[1]
    out = np.empty((len(files), 1 if gray else 3, h, w), dtype=np.uint8)
    decode_into(out, files, decode_chunk, (gray, image_size), desc="decoding images")
    return torch.from_numpy(out)


def decode_chunk(files: list[Path], gray: bool, image_size: int | None) -> np.ndarray:
    """(n, C, H, W) uint8 for a chunk of files (the worker function of genlab.data.parallel: module-level and
    torch-free). Every file has the same size here: decode_images checked it, or image_size resizes."""
    arrays = []
    for f in files:
        with _open(f) as image:
            image = _eight_bit(image, f).convert("L" if gray else "RGB")
        if image_size is not None:
            image = _square_resize(image, image_size)
        arrays.append(np.asarray(image))
    stacked = np.stack(arrays)  # (n, H, W) or (n, H, W, 3)
    return np.ascontiguousarray(stacked[:, None] if gray else stacked.transpose(0, 3, 1, 2))


def load_folder_spec(path: str, *, image_size: int | None = None) -> Dataset:
    """The `folder:PATH` form (rules in the module docstring)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise UsageError(f"folder:{path}: no such folder")
    files, skipped = scan(root)
    if skipped:
        print(f"genlab: warning: skipped {skipped} non-image file(s) in {root} "
              f"(images: {', '.join(IMAGE_EXTENSIONS)})", file=sys.stderr)
    if not files:
        raise UsageError(f"folder:{path}: no images found (looked recursively for {', '.join(IMAGE_EXTENSIONS)})")
    loose = [f for f in files if f.parent == root]
    # class subfolders and images beside them: without those the set would be labelled, with them it is not
    if loose and class_labels(root, [f for f in files if f.parent != root]) is not None:
        print(f"genlab: warning: {len(loose)} image(s) directly in {root} (such as {loose[0].name}) beside its "
              "class subfolders: the set is read unlabelled; move them into a class folder for labels",
              file=sys.stderr)
    from genlab.data.cache import cache_key, cached

    name = f"folder:{path}"
    return cached(cache_key(name, files, image_size=image_size), lambda: _build(root, files, name, image_size))


def _build(root: Path, files: list[Path], name: str, image_size: int | None) -> Dataset:
    from genlab.data.dataset import Dataset, Split, carve_test

    try:
        images = decode_images(files, image_size=image_size)
    except UsageError as exc:
        raise UsageError(f"{name}: {exc}") from None
    layout = class_labels(root, files)
    classes, labels = layout if layout else (None, None)
    train, test = carve_test(Split(images, labels), 0.1, seed=0, in_place=True)
    return Dataset(name=name, train=train, test=test, classes=classes, kind="image",
                   source_note=f"{len(files)} image files in {root}")
