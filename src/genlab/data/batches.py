"""Deterministic data order: a shuffle that depends only on (seed, epoch), never on global RNG state.

So a run resumed at epoch k sees exactly the batches an uninterrupted run would have seen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import torch

from genlab.data.dataset import Split


def epoch_permutation(n: int, *, seed: int, epoch: int) -> torch.Tensor:
    """A random permutation of range(n) as an (n,) int64 CPU tensor, fixed by (seed, epoch).

    The two integers are hashed into one 64-bit generator seed, so nearby (seed, epoch) pairs
    give unrelated orders and no pair collides with another by simple arithmetic.
    """
    digest = hashlib.blake2b(f"genlab-epoch:{seed}:{epoch}".encode(), digest_size=8).digest()
    gen = torch.Generator().manual_seed(int.from_bytes(digest, "little") >> 1)  # < 2**63 for manual_seed
    return torch.randperm(n, generator=gen)


def iterate_batches(split: Split, batch_size: int, *, seed: int, epoch: int,
                    drop_last: bool = False) -> Iterator[Split]:
    """One shuffled epoch of `split` in batches of `batch_size` (uint8 stays uint8; see `to_float`)."""
    perm = epoch_permutation(len(split), seed=seed, epoch=epoch)
    stop = len(perm) - len(perm) % batch_size if drop_last else len(perm)
    for start in range(0, stop, batch_size):
        yield split.subset(perm[start:start + batch_size])
