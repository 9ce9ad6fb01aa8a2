"""Training-time augmentation: random horizontal flips and small translations of image batches.

A pure function of (seed, step): an interrupted run resumes with the very batches it would have seen, and
nothing touches the global RNG. For small image sets (90 faces) it is what lets a network generalise.
"""

from __future__ import annotations

import hashlib

import torch
import torch.nn.functional as F


def _generator(seed: int, step: int) -> torch.Generator:
    digest = hashlib.blake2b(f"genlab-augment:{seed}:{step}".encode(), digest_size=8).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest, "little") >> 1)


def augment(x: torch.Tensor, *, flip: bool, shift: int, seed: int, step: int) -> torch.Tensor:
    """x (B, C, H, W) float -> the same batch, each image mirrored left-right with probability 1/2 (flip)
    and moved by a random whole number of pixels in [-shift, shift] on each axis, edges repeated (shift)."""
    if not flip and not shift:
        return x
    g = _generator(seed, step)
    b = len(x)
    if flip:
        mirrored = (torch.rand(b, generator=g) < 0.5).to(x.device)
        x = torch.where(mirrored[:, None, None, None], x.flip(-1), x)
    if shift:
        h, w = x.shape[-2:]
        padded = F.pad(x, (shift, shift, shift, shift), mode="replicate")
        dy, dx = (torch.randint(0, 2 * shift + 1, (b,), generator=g).tolist() for _ in range(2))
        x = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(b)])
    return x
