"""Generators and discriminators: MLP nets (any sample shape, the 1-D example included) and DCGAN nets.

Modules only (losses live in `genlab.objectives.gan`). Every discriminator returns LOGITS of shape (B,):
D(x) = sigmoid(logit), applied by whoever needs a probability.

DCGAN (Radford et al. 2016, arXiv:1511.06434): strided (transposed) convolutions instead of pooling, batch
norm in both nets except G's output and D's input layer, ReLU in G, LeakyReLU(0.2) in D, tanh output, and
weights from N(0, 0.02) (BN scales from N(1, 0.02)), as in the paper and pytorch/examples' dcgan.

Image sizes: G starts from a base map of s0 x s0 and doubles it k >= 1 times, so a size is buildable when it is
s0 * 2^k with s0 in {4, 7}. 32 and 64 are the paper's 4 x 4 start; 28 (MNIST, Fashion-MNIST) is built directly
from a 7 x 7 start (7 -> 14 -> 28), no cropping, so every output pixel is trained. D mirrors G.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn

from genlab.errors import UsageError
from genlab.models.dense_conv import FullConv2d, LatentConvTranspose2d

BASE_SIZES = (4, 7)


def dcgan_plan(image_size: int) -> tuple[int, int]:
    """(s0, k) with image_size = s0 * 2^k, s0 in {4, 7}, k >= 1; UsageError if the nets cannot build it."""
    for s0 in BASE_SIZES:
        k = 0
        while s0 * 2 ** k < image_size:
            k += 1
        if k >= 1 and s0 * 2 ** k == image_size:
            return s0, k
    raise UsageError(f"image size {image_size}: the DCGAN nets build sizes 4*2^k or 7*2^k (k >= 1), e.g. "
                     "8, 14, 16, 28, 32, 56, 64 (resize with --image-size)")


def dcgan_init(module: nn.Module) -> None:
    """Radford et al. 2016, Sec. 4: all weights from N(0, 0.02); BN scale N(1, 0.02), biases 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """z: (B, latent_dim) -> images (B, C, S, S) in [-1, 1] (tanh)."""

    def __init__(self, latent_dim: int, channels: int, image_size: int, *, ngf: int = 64):
        super().__init__()
        s0, k = dcgan_plan(image_size)
        widths = [ngf * 2 ** i for i in reversed(range(k))]  # e.g. 32 px: ngf*4, ngf*2, ngf
        # z as a 1 x 1 map -> (widths[0], s0, s0): a transposed conv with an s0 kernel is a dense layer.
        layers: list[nn.Module] = [LatentConvTranspose2d(latent_dim, widths[0], s0, 1, 0, bias=False),
                                   nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for a, b in itertools.pairwise(widths):  # each stage: (a, s, s) -> (b, 2s, 2s)
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1, bias=False), nn.Tanh()]  # (C, S, S)
        self.net = nn.Sequential(*layers)
        self.latent_dim = latent_dim
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], self.latent_dim, 1, 1))


D_NORMS = ("batch", "layer", "none")


def _norm(kind: str, channels: int) -> list[nn.Module]:
    """Batch norm; layer norm over (C, H, W) per image (what a gradient penalty needs: BN mixes the batch's
    images, Gulrajani et al. 2017 sec. 4); or nothing."""
    if kind == "batch":
        return [nn.BatchNorm2d(channels)]
    return [nn.GroupNorm(1, channels)] if kind == "layer" else []


def spectral_normalized(module: nn.Module) -> nn.Module:
    """Every conv and linear layer of `module` divided by its largest singular value (Miyato et al. 2018),
    estimated by one power iteration per forward pass; returns the module."""
    for name, child in module.named_children():
        if isinstance(child, (nn.Conv2d, nn.Linear)):
            setattr(module, name, nn.utils.parametrizations.spectral_norm(child))
        else:
            spectral_normalized(child)
    return module


class DCGANDiscriminator(nn.Module):
    """x: (B, C, S, S) in [-1, 1] -> logits (B,). No BN on the input layer (Radford et al. 2016, Sec. 3)."""

    def __init__(self, channels: int, image_size: int, *, ndf: int = 64, norm: str = "batch"):
        super().__init__()
        if norm not in D_NORMS:
            raise ValueError(f"norm {norm!r}: accepted {', '.join(D_NORMS)}")
        s0, k = dcgan_plan(image_size)
        widths = [ndf * 2 ** i for i in range(k)]  # e.g. 32 px: ndf, ndf*2, ndf*4
        layers: list[nn.Module] = [nn.Conv2d(channels, widths[0], 4, 2, 1, bias=False),
                                   nn.LeakyReLU(0.2, inplace=True)]  # (ndf, S/2, S/2)
        for a, b in itertools.pairwise(widths):  # each stage halves the map and doubles the width
            layers += [nn.Conv2d(a, b, 4, 2, 1, bias=False), *_norm(norm, b), nn.LeakyReLU(0.2, inplace=True)]
        layers.append(FullConv2d(widths[-1], 1, s0, 1, 0, bias=False))  # (1, 1, 1): one logit per image
        self.net = nn.Sequential(*layers)
        self.feature_shape = (widths[-1], s0, s0)
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x -> phi (B, F): the last map before the logit, flattened (a projection discriminator's phi)."""
        return self.net[:-1](x).flatten(1)

    def head(self, phi: torch.Tensor) -> torch.Tensor:
        """phi (B, F) -> logits (B,): the last layer, so head(features(x)) == forward(x)."""
        return self.net[-1](phi.view(-1, *self.feature_shape)).flatten()


def _mlp(sizes: list[int], activation) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return layers


ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "leaky-relu": lambda: nn.LeakyReLU(0.2)}


class MLPGenerator(nn.Module):
    """z: (B, latent_dim) -> (B, *sample_shape). output "tanh" for images in [-1, 1], "linear" for toy data.

    hidden activation: relu (images), or tanh for 1-D data, where a smooth G keeps p_g smooth (a ReLU G is
    piecewise linear, and every flat piece piles probability into a spike).
    """

    def __init__(self, latent_dim: int, hidden: tuple[int, ...], sample_shape: tuple[int, ...], *,
                 output: str = "tanh", activation: str = "relu"):
        super().__init__()
        if output not in ("tanh", "linear"):
            raise UsageError(f"generator output {output!r}: accepted tanh, linear")
        if activation not in ACTIVATIONS:
            raise UsageError(f"activation {activation!r}: accepted {', '.join(ACTIVATIONS)}")
        self.sample_shape = tuple(sample_shape)
        layers = _mlp([latent_dim, *hidden, math.prod(sample_shape)], ACTIVATIONS[activation])
        self.net = nn.Sequential(*layers, *([nn.Tanh()] if output == "tanh" else []))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, *self.sample_shape)


class MLPDiscriminator(nn.Module):
    """x: (B, *sample_shape) -> logits (B,). LeakyReLU(0.2) so D passes gradient to G everywhere."""

    def __init__(self, sample_shape: tuple[int, ...], hidden: tuple[int, ...]):
        super().__init__()
        self.net = nn.Sequential(*_mlp([math.prod(sample_shape), *hidden, 1], lambda: nn.LeakyReLU(0.2)))
        self.feature_size = hidden[-1] if hidden else math.prod(sample_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).flatten()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x -> phi (B, F): the activations before the last linear layer."""
        return self.net[:-1](x.flatten(1))

    def head(self, phi: torch.Tensor) -> torch.Tensor:
        """phi (B, F) -> logits (B,), so head(features(x)) == forward(x)."""
        return self.net[-1](phi).flatten()


class Standardize(nn.Module):
    """x -> (x - shift) / scale per feature, with shift and scale fixed from the data (buffers, so saved).

    A 1-D D fed x around 4 would have its ReLU kinks (at -bias/weight, near 0 at init) far from the data and
    learn D* slowly; standardized inputs put them where the data is.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("shift", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) - self.shift) / self.scale


class AffineGenerator(nn.Module):
    """G(z) = a z + b for 1-D z: with z ~ N(0, 1), p_g = N(b, a^2) exactly (the tests' closed-form G)."""

    def __init__(self, a: float = 1.0, b: float = 0.0):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(float(a)))
        self.b = nn.Parameter(torch.tensor(float(b)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.a * z + self.b
