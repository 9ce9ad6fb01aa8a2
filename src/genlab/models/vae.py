"""The variational autoencoder as on the lecture's slides (Kingma & Welling 2013), modules only.

Encoder x -> (mu, logvar) of q(z|x) = N(mu, diag exp(logvar)); decoder z -> decoder outputs, read as
Bernoulli logits or, through a sigmoid, Gaussian means in [0, 1]. A learned Gaussian sigma (one number, or
one per pixel) is a parameter of the decoder side; losses live in `genlab.objectives.elbo`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

SIGMA_MODES = ("fixed", "global", "pixel")
# A learned sigma below ~1/100 of the pixel range would let the density grow without bound on pixels that
# are always exactly 0 (the black border of Fashion-MNIST) instead of modelling the images: keep a floor.
MIN_LOG_SIGMA = math.log(0.01)


class VAEOutput(NamedTuple):
    mu: torch.Tensor        # (B, d) posterior means
    logvar: torch.Tensor    # (B, d) posterior log-variances
    z: torch.Tensor         # (B, d) one reparameterized posterior sample
    out: torch.Tensor       # (B, *sample_shape) decoder outputs (logits / pre-sigmoid means)


class VAE(nn.Module):
    """`encoder` maps x (B, *shape) to (B, 2d) = [mu, logvar]; `decoder` maps z (B, d) to (B, *shape)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, latent_dim: int,
                 sample_shape: tuple[int, ...], *, sigma: str = "fixed", classes: int = 0):
        super().__init__()
        if sigma not in SIGMA_MODES:
            raise ValueError(f"sigma {sigma!r}: accepted {', '.join(SIGMA_MODES)}")
        self.encoder, self.decoder, self.latent_dim = encoder, decoder, latent_dim
        # classes > 0: a conditional VAE; encoder and decoder take the label too (models.conditional wrappers)
        self.classes = classes
        self.sigma_mode = sigma
        # log sigma starts at 0 (sigma = 1: the slide's N(f(z), I)) and is learned from there.
        shape = () if sigma == "global" else tuple(sample_shape)
        self.log_sigma = nn.Parameter(torch.zeros(shape)) if sigma != "fixed" else None

    def _labels(self, y: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        """The extra argument of the nets: (y,) for a conditional VAE, () otherwise."""
        if bool(self.classes) != (y is not None):
            raise ValueError("a conditional VAE needs the labels y" if self.classes else
                             "labels were given to an unconditional VAE")
        return (y,) if self.classes else ()

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, *shape) in [0, 1] (and labels y (B,) when conditional) -> mu, logvar, each (B, d)."""
        mu, logvar = self.encoder(x, *self._labels(y)).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """z (B, d) (and y (B,) when conditional) -> decoder outputs (B, *shape): Bernoulli logits, or
        Gaussian means before the sigmoid."""
        return self.decoder(z, *self._labels(y))

    def decoder_log_sigma(self) -> torch.Tensor | float:
        """log sigma of the Gaussian decoder: 0.0 when fixed, else the learned value(s), floored."""
        if self.log_sigma is None:
            return 0.0
        return self.log_sigma.clamp(min=MIN_LOG_SIGMA)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None, *, generator: torch.Generator | None = None,
                samples: int = 0) -> VAEOutput:
        """One posterior sample per image (z (B, d), out (B, *shape)), or with samples=S, S of them
        (z (S, B, d), out (S, B, *shape)) for the importance-weighted bound. y: labels when conditional."""
        mu, logvar = self.encode(x, y)
        shape = (samples, *mu.shape) if samples else mu.shape
        eps = torch.randn(shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + (0.5 * logvar).exp() * eps  # the reparameterization trick (sec. 2.4)
        if not samples:
            return VAEOutput(mu, logvar, z, self.decode(z, y))
        ys = None if y is None else y.repeat(samples)  # (S * B,), matching z's rows
        out = self.decode(z.reshape(-1, z.shape[-1]), ys).view(*z.shape[:-1], *x.shape[1:])
        return VAEOutput(mu, logvar, z, out)
