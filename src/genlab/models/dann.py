"""The three nets of domain-adversarial training (Ganin et al., JMLR 2016, Fig. 1): a feature extractor
G_f, a label classifier G_y on the features, and a domain classifier G_d on the features (behind a gradient
reversal layer, which lives in `genlab.objectives.reversal`, not here). Modules only: no losses inside.

- toy data (B, D): an MLP feature extractor (Ganin's two-moons net has one hidden layer, Sec. 5.1);
- digits (B, C, H, W): Ganin's MNIST net (Sec. 5.2.2 / Fig. 4): conv5x5(32) - pool - ReLU -
  conv5x5(48) - pool - ReLU, label head 100 - 100 - classes, domain head 100 - 1.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import torch
from torch import nn

from genlab.errors import UsageError
from genlab.models.mlp import mlp

ARCHS = ("mlp", "conv")


ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}


class MLPFeatures(nn.Module):
    """x: (B, *sample_shape) -> features (B, hidden[-1]): Linear + activation through every width in `hidden`.

    Ganin's toy net (Sec. 5.1) is one layer of 15 sigmoid units. On two moons the reversed gradient drives many
    of them into saturation and a linear probe then tells the domains apart better than without DANN, so the
    two-moons setting uses 15 ReLU units (genlab.config.dann has the numbers).
    """

    def __init__(self, sample_shape: tuple[int, ...], hidden: tuple[int, ...], *, activation: str = "relu"):
        super().__init__()
        if not hidden:
            raise UsageError("--hidden: the feature extractor needs at least one width")
        if activation not in ACTIVATIONS:
            raise UsageError(f"--activation {activation!r}: accepted {', '.join(ACTIVATIONS)}")
        self.out_dim = hidden[-1]
        act = ACTIVATIONS[activation]
        # mlp() puts no activation after its last layer; features are that layer followed by one
        self.net = nn.Sequential(mlp([math.prod(sample_shape), *hidden], activation=act), act())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))


class ConvFeatures(nn.Module):
    """x: (B, C, H, W) in [0, 1] -> features (B, 48 * s * s), Ganin's MNIST extractor (s = 4 for 28x28)."""

    def __init__(self, sample_shape: tuple[int, ...], *, width: int = 32):
        super().__init__()
        if len(sample_shape) != 3:
            raise UsageError(f"--arch conv needs images (C, H, W), not samples of shape {tuple(sample_shape)}; "
                             "use --arch mlp")
        c, h, w = sample_shape
        sh, sw = (((n - 4) // 2 - 4) // 2 for n in (h, w))  # two (5x5 valid conv, 2x2 pool) stages
        if min(sh, sw) < 1:
            raise UsageError(f"--arch conv needs images of at least 16x16, not {h}x{w}; use --arch mlp or "
                             "--image-size 28")
        wide = width * 3 // 2  # Ganin: 32 then 48 channels
        self.net = nn.Sequential(
            nn.Conv2d(c, width, 5), nn.MaxPool2d(2), nn.ReLU(),      # (B, 32, 12, 12) for 28x28
            nn.Conv2d(width, wide, 5), nn.MaxPool2d(2), nn.ReLU(),   # (B, 48, 4, 4)
            nn.Flatten())                                            # (B, 768)
        self.out_dim = wide * sh * sw

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Head(nn.Module):
    """features (B, in_dim) -> logits (B, out_dim) through hidden layers `hidden` (may be empty): ReLU, or
    LeakyReLU(leak) for leak > 0."""

    def __init__(self, in_dim: int, hidden: tuple[int, ...], out_dim: int, *, leak: float = 0.0):
        super().__init__()
        activation = functools.partial(nn.LeakyReLU, leak) if leak > 0 else nn.ReLU
        self.net = mlp([in_dim, *hidden, out_dim], activation=activation)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h)

    def first_hidden_pre_activations(self, h: torch.Tensor) -> torch.Tensor | None:
        """features (B, in_dim) -> (B, hidden[0]): the first hidden layer before its activation; None without one."""
        return self.net[0](h) if len(self.net) > 1 else None


class DANNNets(NamedTuple):
    features: nn.Module   # G_f: x -> (B, F)
    label: nn.Module      # G_y: (B, F) -> (B, num_classes) class logits
    domain: nn.Module     # G_d: (B, F) -> (B, 1) logit of "x comes from the target domain"


def build_dann_nets(arch: str, sample_shape: tuple[int, ...], num_classes: int, *, hidden: tuple[int, ...],
                    width: int, label_hidden: tuple[int, ...], domain_hidden: tuple[int, ...],
                    activation: str = "relu", domain_leak: float = 0.0) -> DANNNets:
    """The three nets for inputs of `sample_shape` ((D,) toy or (C, H, W) images)."""
    if arch not in ARCHS:
        raise UsageError(f"--arch {arch!r}: accepted {', '.join(ARCHS)}")
    if arch == "conv":
        features: nn.Module = ConvFeatures(sample_shape, width=width)
    else:
        features = MLPFeatures(sample_shape, hidden, activation=activation)
    return DANNNets(features=features, label=Head(features.out_dim, label_hidden, num_classes),
                    domain=Head(features.out_dim, domain_hidden, 1, leak=domain_leak))
