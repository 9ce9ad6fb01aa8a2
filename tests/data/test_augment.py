"""Flips and shifts: pure functions of (seed, step), image content moved, not changed."""

import torch

from genlab.data.augment import augment


def _batch():
    return torch.arange(4 * 1 * 5 * 6, dtype=torch.float32).reshape(4, 1, 5, 6)


def test_nothing_asked_is_the_identity():
    x = _batch()
    assert augment(x, flip=False, shift=0, seed=0, step=3) is x


def test_same_seed_and_step_same_batch_other_step_other_batch():
    x = torch.rand(64, 1, 8, 8)
    a = augment(x, flip=True, shift=2, seed=1, step=5)
    assert torch.equal(a, augment(x, flip=True, shift=2, seed=1, step=5))
    assert not torch.equal(a, augment(x, flip=True, shift=2, seed=1, step=6))


def test_flip_mirrors_about_half_of_the_images_exactly():
    x = torch.rand(400, 1, 4, 7)
    y = augment(x, flip=True, shift=0, seed=0, step=0)
    mirrored = [bool(torch.equal(y[i], x[i].flip(-1))) for i in range(len(x))]
    kept = [bool(torch.equal(y[i], x[i])) for i in range(len(x))]
    assert all(m or k for m, k in zip(mirrored, kept))
    assert 150 < sum(mirrored) < 250


def test_shift_moves_content_by_at_most_n_pixels_repeating_edges():
    x = _batch()
    y = augment(x, flip=False, shift=1, seed=2, step=0)
    assert y.shape == x.shape
    for i in range(len(x)):
        padded = torch.nn.functional.pad(x[i:i + 1], (1, 1, 1, 1), mode="replicate")[0]
        crops = [padded[:, dy:dy + 5, dx:dx + 6] for dy in range(3) for dx in range(3)]
        assert any(torch.equal(y[i], c) for c in crops)
