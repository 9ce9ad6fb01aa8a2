"""The plain autoencoder: a deterministic encoder and decoder, nothing else (losses live in objectives)."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn


class AEOutput(NamedTuple):
    z: torch.Tensor        # (B, latent_dim) codes
    logits: torch.Tensor   # (B, *sample_shape) decoder outputs before the output nonlinearity


class AutoEncoder(nn.Module):
    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, x: torch.Tensor, *, latent_noise: float = 0.0) -> AEOutput:
        """x: (B, *sample_shape) in [0, 1]. `latent_noise` adds N(0, sigma^2) to z before decoding."""
        z = self.encoder(x)
        z_used = z + latent_noise * torch.randn_like(z) if latent_noise else z
        return AEOutput(z, self.decoder(z_used))
