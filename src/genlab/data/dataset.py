"""The in-memory containers every model trains from: one tensor per split, plus labels and class names."""

from __future__ import annotations

import ctypes
import dataclasses
from dataclasses import dataclass

import torch

from genlab.errors import UsageError


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensors elementwise has no single truth value
class Split:
    """One split held in memory.

    images: (N, C, H, W) uint8 in [0, 255] for image data, or (N, D) float32 for toy data.
    labels: (N,) int64 class indices, or None when unlabelled.
    """

    images: torch.Tensor
    labels: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if self.labels is not None and len(self.labels) != len(self.images):
            raise UsageError(f"split has {len(self.images)} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.images)

    def evenly(self, n: int | None) -> Split:
        """n items evenly spaced through the split, in its order: a new Split, or this very one when n is None
        or >= its size. Not the first n: some datasets are stored sorted by class (mnist-5k's first 2,000
        train digits are 0-4 only), and their first n items are not a sample of the split."""
        total = len(self)
        if n is not None and n < 0:
            raise ValueError(f"evenly({n}): n must be >= 0")
        if n is None or n >= total:
            return self
        return self.subset(torch.div(torch.arange(n) * total, n, rounding_mode="floor"))

    def subset(self, index: torch.Tensor) -> Split:
        """The items at `index` (a LongTensor of positions), in that order."""
        # index_select: several times faster than images[index] for a batch of rows
        labels = None if self.labels is None else self.labels.index_select(0, index)
        return Split(self.images.index_select(0, index), labels)

    def compacted(self, kept: torch.Tensor) -> Split:
        """The items at the sorted positions `kept`, moved to the front of this split's own tensors: no copy
        of the split, but this split's rows are rearranged, so only a caller that alone holds them may ask."""
        if len(kept) and bool((kept[1:] <= kept[:-1]).any()):
            raise ValueError("compacted() needs strictly increasing positions")
        tensors = [self.images] + ([self.labels] if self.labels is not None else [])
        for t in tensors:
            _move_rows_forward(t, kept)
        n = len(kept)
        return Split(self.images[:n], None if self.labels is None else self.labels[:n])


@dataclass(frozen=True, eq=False)
class Dataset:
    """A named dataset: train and test splits plus what a model or report needs to know about them."""

    name: str                         # the spec it was loaded from
    train: Split
    test: Split
    classes: tuple[str, ...] | None   # class names when labelled
    kind: str                         # "image" or "toy"
    source_note: str                  # where the data came from, for reports
    # True when the tensors were made for this one load and nothing else holds them (genlab's own cache reads
    # and decoders): hold_out(in_place=True) may then rearrange train instead of copying it, which at
    # CelebA's size is the difference between holding the set once and twice.
    owns_tensors: bool = False

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """(C, H, W) for images, (D,) for toy data."""
        return tuple(self.train.images.shape[1:])

    @property
    def num_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)

    def validation_split(self, fraction: float = 0.1, seed: int = 0) -> tuple[Split, Split]:
        """(train minus validation, validation): a deterministic random `fraction` of train held out."""
        if not 0.0 < fraction < 1.0:
            raise UsageError(f"validation fraction must be in (0, 1), got {fraction}")
        rest, held = split_indices(len(self.train), fraction, seed=seed)
        return self.train.subset(rest), self.train.subset(held)

    def hold_out(self, count: int, *, seed: int, in_place: bool = False) -> tuple[Dataset, Split]:
        """(this dataset with `count` seeded random train items removed, those items as a Split): the
        validation split training evaluates on, so the test split stays unseen. count 0: (self, empty).
        in_place (only where owns_tensors): the kept items move to the front of train's own tensors instead
        of being copied; the same items in the same order, and this object must not be used afterwards."""
        if count <= 0:
            return self, self.train.subset(torch.zeros(0, dtype=torch.int64))
        if in_place and not self.owns_tensors:
            raise ValueError("hold_out(in_place=True) needs a dataset that owns its tensors")
        kept, held = holdout_indices(len(self.train), count, seed=seed)
        validation = self.train.subset(held)  # copied before the rows it reads are overwritten
        train = self.train.compacted(kept) if in_place else self.train.subset(kept)
        return self.replace(train=train), validation

    def replace(self, **changes) -> Dataset:
        """A copy with some fields changed (the registry stamps `name` this way)."""
        return dataclasses.replace(self, **changes)


def split_indices(n: int, fraction: float, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(kept, held) index tensors: a seeded random round(fraction * n) items held out, at least one of
    each side when n >= 2. Both are sorted so the kept split keeps its original order."""
    held_n = min(max(round(fraction * n), 1), n - 1) if n >= 2 else 0
    return holdout_indices(n, held_n, seed=seed)


def holdout_indices(n: int, count: int, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(kept, held) sorted index tensors: `count` of range(n) held out, drawn by a seeded permutation."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return perm[count:].sort().values, perm[:count].sort().values


def stratified_indices(labels: torch.Tensor, fraction: float, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Like `split_indices`, but holds out `fraction` of every class (so class balance is kept)."""
    gen = torch.Generator().manual_seed(seed)
    kept, held = [], []
    for c in labels.unique().tolist():
        members = (labels == c).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=gen)]
        k = round(fraction * len(members))
        held.append(members[:k])
        kept.append(members[k:])
    return torch.cat(kept).sort().values, torch.cat(held).sort().values


def carve_test(split: Split, fraction: float = 0.1, *, seed: int = 0,
               in_place: bool = False) -> tuple[Split, Split]:
    """(train, test) from one pool of items; used where a source ships no test split of its own.
    in_place: for a pool the caller alone holds (just decoded): train reuses the pool's memory (see
    Split.compacted), so only the test items are copied."""
    kept, held = split_indices(len(split), fraction, seed=seed)
    test = split.subset(held)
    return (split.compacted(kept) if in_place else split.subset(kept)), test


def _move_rows_forward(t: torch.Tensor, kept: torch.Tensor) -> None:
    """t[j] = t[kept[j]] for every j, in place; kept is strictly increasing, so kept[j] >= j and each source
    row is read before anything is written over it. Moves whole runs of consecutive rows at once, with
    memmove (made for overlapping ranges: no temporary copy, unlike numpy's or torch's slice assignment)."""
    if len(kept) == 0:
        return
    if not t.is_contiguous() or t.device.type != "cpu":
        raise ValueError("compacting in place needs a contiguous CPU tensor")
    row = t[0].numel() * t.element_size() if t.dim() > 1 else t.element_size()
    base = t.data_ptr()
    breaks = (torch.nonzero(kept[1:] != kept[:-1] + 1).flatten() + 1).tolist()
    starts = [0, *breaks]
    stops = [*breaks, len(kept)]
    for a, b, src in zip(starts, stops, kept[starts].tolist(), strict=True):
        if src != a:
            ctypes.memmove(base + a * row, base + src * row, (b - a) * row)
