"""Image tensor helpers: uint8 <-> float, resizing, and writing a PNG grid."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from genlab.errors import UsageError
from genlab.io import write_with


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, C, H, W) in [0, 255] -> float32 in [0, 1]. Float (toy) data passes through unchanged; other
    integer types are refused (int64 pixels would pass through as 0..255 floats' worth of nonsense)."""
    if images.dtype == torch.uint8:
        return images.to(torch.float32).div_(255.0)
    if not images.is_floating_point():
        raise ValueError(f"to_float takes uint8 images (0..255) or float ones, not {images.dtype}; for 0..255 "
                         "integers use images.to(torch.uint8)")
    return images


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float in [0, 1] (clamped) -> uint8 in [0, 255], rounded; uint8 passes through."""
    if images.dtype == torch.uint8:
        return images
    return images.detach().float().clamp(0.0, 1.0).mul(255.0).round_().to(torch.uint8)


def resize_images(images: torch.Tensor, size: int, *, chunk: int = 4096) -> torch.Tensor:
    """uint8 (N, C, H, W) -> uint8 (N, C, size, size), bilinear with antialiasing when shrinking.

    Works in chunks so a large dataset never needs a full float32 copy in memory.
    """
    if tuple(images.shape[-2:]) == (size, size):
        return images
    out = torch.empty((*images.shape[:2], size, size), dtype=torch.uint8, device=images.device)
    for start in range(0, len(images), chunk):
        x = to_float(images[start:start + chunk])
        y = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out[start:start + chunk] = to_uint8(y)
    return out


def make_grid(images: torch.Tensor, *, nrow: int | None = None, pad: int = 2) -> np.ndarray:
    """(B, C, H, W) uint8 or float in [0, 1] -> (rows*(H+pad)+pad, nrow*(W+pad)+pad, C) uint8 array.

    nrow: images per row (default: about square). Padding is black.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3) or len(images) == 0:
        raise UsageError(f"a grid needs images shaped (B, 1 or 3, H, W) with B > 0, got {tuple(images.shape)}")
    if nrow is not None and nrow < 1:
        raise UsageError(f"--nrow {nrow}: must be at least 1")
    x = to_uint8(images.cpu())
    b, c, h, w = x.shape
    nrow = nrow or math.ceil(math.sqrt(b))
    rows = math.ceil(b / nrow)
    grid = torch.zeros((c, rows * (h + pad) + pad, nrow * (w + pad) + pad), dtype=torch.uint8)
    for i in range(b):
        top, left = pad + (i // nrow) * (h + pad), pad + (i % nrow) * (w + pad)
        grid[:, top:top + h, left:left + w] = x[i]
    return grid.permute(1, 2, 0).numpy()


def save_grid(images: torch.Tensor, path: str | Path, *, nrow: int | None = None) -> None:
    """Write images (B, C, H, W), uint8 or float in [0, 1], as one PNG grid at `path` (atomically)."""
    from PIL import Image  # imported here: PIL is only needed when a picture is written

    grid = make_grid(images, nrow=nrow)
    picture = Image.fromarray(grid[:, :, 0] if grid.shape[2] == 1 else grid)
    write_with(Path(path), lambda tmp: picture.save(tmp, format="PNG"))
