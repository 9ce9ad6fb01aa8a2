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


class BatchSchedule:
    """Global step -> (epoch, indices of that step's batch) over epochs of shuffled batches.

    Each epoch's order is `epoch_permutation(n, seed, epoch)`, so any step's batch is known without replaying
    the steps before it (exact resume). One schedule serves the training loop, DANN's target domain
    (`target_stream=True`: orders keyed on -1 - epoch, never equal to the source's for the same seed, and
    full batches only), in-memory fits and the feature net.
    """

    def __init__(self, n: int, batch_size: int, *, seed: int, target_stream: bool = False,
                 device: torch.device | str | None = None):
        if n < 1 or batch_size < 1:
            raise ValueError(f"a batch schedule needs n >= 1 and batch_size >= 1, got {n} and {batch_size}")
        self.n, self.batch_size, self.seed, self.target_stream = n, batch_size, seed, target_stream
        self.steps_per_epoch = max(1, n // batch_size) if target_stream else -(-n // batch_size)
        self.device = device
        self._epoch, self._perm = None, torch.empty(0, dtype=torch.long)

    def __call__(self, step: int) -> tuple[int, torch.Tensor]:
        epoch, index = divmod(step, self.steps_per_epoch)
        if self._epoch != epoch:  # one permutation per epoch, made when the epoch starts
            key = -1 - epoch if self.target_stream else epoch
            perm = epoch_permutation(self.n, seed=self.seed, epoch=key)
            self._perm, self._epoch = (perm if self.device is None else perm.to(self.device)), epoch
        return epoch, self._perm[index * self.batch_size:(index + 1) * self.batch_size]


def iterate_batches(split: Split, batch_size: int, *, seed: int, epoch: int,
                    drop_last: bool = False) -> Iterator[Split]:
    """One shuffled epoch of `split` in batches of `batch_size` (uint8 stays uint8; see `to_float`)."""
    perm = epoch_permutation(len(split), seed=seed, epoch=epoch)
    stop = len(perm) - len(perm) % batch_size if drop_last else len(perm)
    for start in range(0, stop, batch_size):
        yield split.subset(perm[start:start + batch_size])
