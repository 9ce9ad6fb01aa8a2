"""DCGAN-style convolutional encoder and decoder for square 28x28, 32x32 and 64x64 images, any channel count.

Radford et al., "Unsupervised Representation Learning with Deep Convolutional GANs" (2015): strided 4x4
convolutions instead of pooling, batch norm between layers, LeakyReLU(0.2) going down, ReLU going up, and
the channel count doubling at every halving of the resolution. Each stage halves (or doubles) H and W:
64 -> 32 -> 16 -> 8 -> 4, 32 -> 16 -> 8 -> 4, 28 -> 14 -> 7. The smallest map is flattened into a linear
layer, so the code size is free (the lecture uses 2 for the MNIST manifold and 200 for faces).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from genlab.errors import UsageError

# Input size -> (number of stride-2 stages, side of the smallest feature map).
CONV_SIZES = {28: (2, 7), 32: (3, 4), 64: (4, 4)}


def conv_plan(sample_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(channels, stages, smallest side) for an image shape (C, H, W); one-line UsageError if unsupported."""
    if len(sample_shape) != 3:
        raise UsageError(f"--arch conv needs images (C, H, W); this data has samples of shape "
                         f"{tuple(sample_shape)}: use --arch mlp")
    c, h, w = sample_shape
    if h != w or h not in CONV_SIZES:
        raise UsageError(f"--arch conv needs square 28x28, 32x32 or 64x64 images, not {h}x{w}: use "
                         f"--arch mlp, or --image-size 32 to resize")
    stages, side = CONV_SIZES[h]
    return c, stages, side


class ConvEncoder(nn.Module):
    """x: (B, C, H, W) -> (B, out_dim). `width` channels after the first stage, doubling per stage."""

    def __init__(self, sample_shape: tuple[int, ...], out_dim: int, *, width: int = 32):
        super().__init__()
        channels, stages, side = conv_plan(sample_shape)
        layers: list[nn.Module] = []
        for i in range(stages):
            c_out = width * 2 ** i
            layers.append(nn.Conv2d(channels, c_out, 4, stride=2, padding=1, bias=i == 0))
            if i > 0:  # DCGAN: no batch norm on the input layer
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            channels = c_out
        # state size: (B, width * 2^(stages-1), side, side)
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels * side * side, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


class ConvDecoder(nn.Module):
    """z: (B, latent_dim) -> (B, C, H, W) unconstrained outputs (logits or pre-sigmoid means)."""

    def __init__(self, latent_dim: int, sample_shape: tuple[int, ...], *, width: int = 32):
        super().__init__()
        channels, stages, side = conv_plan(sample_shape)
        self.sample_shape = tuple(sample_shape)
        top = width * 2 ** (stages - 1)
        self.top_shape = (top, side, side)
        # No batch norm here: BatchNorm1d fails on a last batch of one image; the conv stages have it.
        self.project = nn.Sequential(nn.Linear(latent_dim, math.prod(self.top_shape)), nn.ReLU(inplace=True))
        layers: list[nn.Module] = []
        c_in = top
        for i in reversed(range(stages)):
            last = i == 0
            c_out = channels if last else width * 2 ** (i - 1)
            layers.append(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=last))
            if not last:  # DCGAN: no batch norm on the output layer
                layers += [nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
            c_in = c_out
        # state size: side -> 2 side -> ... -> H; channels top -> ... -> C
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.project(z).view(-1, *self.top_shape))
