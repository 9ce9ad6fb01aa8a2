"""Multi-layer perceptrons that map images to vectors and back."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import torch
from torch import nn


def mlp(sizes: list[int], *, activation: Callable[[], nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers through `sizes`, `activation` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class MLPEncoder(nn.Module):
    """x: (B, *sample_shape) -> (B, out_dim). Flattens, then an MLP through `hidden`."""

    def __init__(self, sample_shape: tuple[int, ...], hidden: tuple[int, ...], out_dim: int):
        super().__init__()
        self.net = mlp([math.prod(sample_shape), *hidden, out_dim])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))


class MLPDecoder(nn.Module):
    """z: (B, latent_dim) -> (B, *sample_shape) unconstrained outputs (logits or means)."""

    def __init__(self, latent_dim: int, hidden: tuple[int, ...], sample_shape: tuple[int, ...]):
        super().__init__()
        self.sample_shape = tuple(sample_shape)
        self.net = mlp([latent_dim, *hidden, math.prod(sample_shape)])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, *self.sample_shape)
