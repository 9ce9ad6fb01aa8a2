"""Toy data with known structure, for checks where the true distribution is known exactly.

- two moons (2-D, labelled by moon), optionally rotated: the source/target pair of the DANN experiment;
- a 1-D Gaussian N(4, 0.5^2) (or a two-mode mixture) with its exact density, for the 1-D GAN.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from genlab.data.dataset import Dataset, Split

# make_moons' exact mean and spread: outer moon (cos t, sin t), inner (1 - cos t, 0.5 - sin t), t ~ U[0, pi]
# -> mean (0.5, 0.25), variances (0.75, 0.244). One isotropic scale keeps the shape under rotation.
MOONS_CENTRE = (0.5, 0.25)
MOONS_SCALE = 1.0 / math.sqrt((0.75 + 0.244) / 2)

GAUSS_MEAN, GAUSS_STD = 4.0, 0.5
MIXTURE = ((0.5, 2.0, 0.5), (0.5, 6.0, 0.5))  # (weight, mean, std) of the two modes


def two_moons(n: int, *, noise: float, seed: int, rotation_degrees: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """n points of sklearn's make_moons, centred at 0 and scaled to about unit spread, then rotated
    counter-clockwise about the origin by rotation_degrees. Returns x: (n, 2) float32, y: (n,) int64 moon."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    pts = (torch.from_numpy(x).double() - torch.tensor(MOONS_CENTRE, dtype=torch.float64)) * MOONS_SCALE
    a = math.radians(rotation_degrees)
    rot = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=torch.float64)
    return (pts @ rot.T).float(), torch.from_numpy(y).long()


def gauss_1d(n: int, *, seed: int, mixture: bool = False) -> tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
    """(samples (n, 1) float32, density) for N(GAUSS_MEAN, GAUSS_STD^2) = N(4, 0.5^2), or, with mixture,
    0.5 N(2, 0.5^2) + 0.5 N(6, 0.5^2). density(x) is the exact pdf, elementwise, same shape as x."""
    gen = torch.Generator().manual_seed(seed)
    modes = MIXTURE if mixture else ((1.0, GAUSS_MEAN, GAUSS_STD),)
    weights = torch.tensor([w for w, _, _ in modes], dtype=torch.float64)
    which = torch.multinomial(weights, n, replacement=True, generator=gen)
    means = torch.tensor([m for _, m, _ in modes], dtype=torch.float64)[which]
    stds = torch.tensor([s for _, _, s in modes], dtype=torch.float64)[which]
    samples = means + stds * torch.randn(n, generator=gen, dtype=torch.float64)

    def density(x: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(x, dtype=torch.float64)
        pdf = sum(w * torch.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)) for w, m, s in modes)
        return pdf.float()

    return samples.float().unsqueeze(1), density


def load_two_moons(*, image_size: int | None = None) -> Dataset:
    """150 train points (seed 0) and 150 test points (seed 1), noise 0.05, labels = moon."""
    train, test = two_moons(150, noise=0.05, seed=0), two_moons(150, noise=0.05, seed=1)
    return Dataset(name="two-moons", train=Split(*train), test=Split(*test), classes=("upper", "lower"),
                   kind="toy", source_note="sklearn make_moons, noise 0.05, centred and scaled")


def load_gauss_1d(*, image_size: int | None = None) -> Dataset:
    """10,000 train (seed 0) and 2,000 test (seed 1) samples of N(4, 0.5^2), shape (N, 1), unlabelled."""
    train, _ = gauss_1d(10000, seed=0)
    test, _ = gauss_1d(2000, seed=1)
    return Dataset(name="gauss-1d", train=Split(train), test=Split(test), classes=None, kind="toy",
                   source_note=f"samples of N({GAUSS_MEAN}, {GAUSS_STD}^2)")


def load_gauss_1d_mixture(*, image_size: int | None = None) -> Dataset:
    """10,000 train (seed 0) and 2,000 test (seed 1) samples of 0.5 N(2, 0.5^2) + 0.5 N(6, 0.5^2), (N, 1)."""
    train, _ = gauss_1d(10000, seed=0, mixture=True)
    test, _ = gauss_1d(2000, seed=1, mixture=True)
    return Dataset(name="gauss-1d-mixture", train=Split(train), test=Split(test), classes=None, kind="toy",
                   source_note="samples of 0.5 N(2, 0.5^2) + 0.5 N(6, 0.5^2)")


def density_of(spec: str) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """The exact p_data of a known 1-D toy spec (a function on tensors), or None."""
    if spec in ("gauss-1d", "gauss-1d-mixture"):
        return gauss_1d(1, seed=0, mixture=spec == "gauss-1d-mixture")[1]
    return None
