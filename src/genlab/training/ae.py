"""The plain autoencoder family (`genlab train ae`): MSE or BCE reconstruction, MLP or conv nets.

A deterministic encoder and decoder trained only to reconstruct. The lecture's point, which `genlab sample`
and `genlab plot DIR noise-decode` show: nothing makes its codes look like N(0, I), so decoding N(0, I)
noise (or a code with noise added) does not give images like the data; the VAE fixes that.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from genlab.config import RunConfig
from genlab.config.ae import Config
from genlab.errors import UsageError
from genlab.models.ae import AutoEncoder
from genlab.models.conv import ConvDecoder, ConvEncoder
from genlab.models.mlp import MLPDecoder, MLPEncoder
from genlab.objectives.reconstruction import bce_per_image, squared_error_per_image
from genlab.training import task as base
from genlab.training.adam import make_adam
from genlab.training.capabilities import Encoder, Reconstructor, Sampler
from genlab.training.task import DataInfo

GRID_SEED = 1234  # fixed noise for per-epoch grids (shared with the VAE), so epochs compare image by image


def require_images(info: DataInfo, family: str) -> None:
    """The ae and vae families model pixels in [0, 1] (a sigmoid output, a Bernoulli likelihood): on toy points
    outside that range their losses are meaningless (a Bernoulli recon below 0), so they refuse them."""
    if info.kind != "image":
        raise UsageError(f"the {family} family models images (pixels in [0, 1]), not {info.kind} data; the toy "
                         "sets are for gan-1d (gauss-1d) and dann (two-moons)")


def build_nets(arch: str, sample_shape: tuple[int, ...], *, hidden: tuple[int, ...], width: int,
               code_dim: int, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    """Encoder x -> (B, code_dim) and decoder (B, latent_dim) -> (B, *sample_shape), MLP or conv."""
    if arch == "conv":
        return (ConvEncoder(sample_shape, code_dim, width=width),
                ConvDecoder(latent_dim, sample_shape, width=width))
    return (MLPEncoder(sample_shape, hidden, code_dim),
            MLPDecoder(latent_dim, tuple(reversed(hidden)), sample_shape))


def build_model(config: Config, info: DataInfo) -> AutoEncoder:
    require_images(info, "ae")
    encoder, decoder = build_nets(config.arch, info.sample_shape, hidden=config.hidden, width=config.width,
                                  code_dim=config.latent_dim, latent_dim=config.latent_dim)
    return AutoEncoder(encoder, decoder)


def reconstruction_loss(kind: str, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-image loss (B,) for the configured reconstruction kind."""
    if kind == "bce":
        return bce_per_image(logits, x)
    return squared_error_per_image(torch.sigmoid(logits), x)


class CodeModelTask(base.Task):
    """What the AE and VAE families share: one model and its Adam, fixed noise and fixed test images for the
    per-epoch grids, and the shape check when data is bound to a (possibly loaded) model."""

    def __init__(self, config: RunConfig, info: DataInfo, device: torch.device, model: nn.Module):
        super().__init__(config, info, device)
        self.model = model.to(device)
        self.modules = {"model": self.model}
        self.optimizers = {"model": make_adam(self.model.parameters(), lr=config.train.lr)}
        g = torch.Generator().manual_seed(GRID_SEED)
        self.fixed_z = torch.randn(64, config.model.latent_dim, generator=g).to(device)
        self._grid_x: torch.Tensor | None = None
        self._grid_y: torch.Tensor | None = None  # their labels, for a conditional model

    def bind_data(self, dataset) -> None:
        from genlab.data import to_float

        if tuple(dataset.sample_shape) != tuple(self.info.sample_shape):
            raise UsageError(f"--data {self.config.data.spec}: samples are {tuple(dataset.sample_shape)} but "
                             f"the model was built for {tuple(self.info.sample_shape)}; use the data (and "
                             "--image-size) it was trained on")
        if dataset.kind == "image":  # a fixed set of test images so grids compare across epochs
            # test images (train ones when a small folder has no test split), evenly spaced: a class-sorted
            # split's first 32 are one class
            grid = (dataset.test if len(dataset.test) else dataset.train).evenly(32)
            self._grid_x = to_float(grid.images).to(self.device)
            if grid.labels is not None:
                self._grid_y = grid.labels.to(self.device)


class Task(CodeModelTask, Sampler, Reconstructor, Encoder):
    def __init__(self, config: RunConfig, info: DataInfo, device: torch.device):
        super().__init__(config, info, device, build_model(config.model, info))

    def train_step(self, x, y, step):
        out = self.net("model")(x)
        loss = reconstruction_loss(self.config.model.recon, out.logits, x).mean()
        self.optimize("model", loss)
        return {"loss": loss.detach()}

    @torch.no_grad()
    def evaluate(self, x, y):
        out = self.model(x)
        recon = reconstruction_loss(self.config.model.recon, out.logits, x).mean()
        mse = (torch.sigmoid(out.logits) - x).pow(2).mean()
        return {"loss": float(recon), "mse": float(mse)}

    # --- capabilities: the lecture's AE experiments -------------------------------------------------------
    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, *shape) in [0, 1] -> codes (B, latent_dim)."""
        return self.model.encoder(x)

    @torch.no_grad()
    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """codes (B, latent_dim) -> images (B, *shape) in [0, 1]."""
        return torch.sigmoid(self.model.decoder(z))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, *, latent_noise: float = 0.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode the code of x, with N(0, latent_noise^2) added to it first (the lecture's noisy-AE slide)."""
        if latent_noise < 0:
            raise UsageError(f"--latent-noise {latent_noise}: must be >= 0")
        z = self.encode(x)
        if latent_noise:
            z = z + latent_noise * torch.randn(z.shape, generator=generator, device=z.device, dtype=z.dtype)
        return self.decode_mean(z)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode n draws of N(0, I) noise (n, *shape) in [0, 1]: NOT samples of the data distribution; a
        plain AE is not a generative model, and this is how the lecture shows it."""
        z = torch.randn(n, self.config.model.latent_dim, generator=generator, device=self.device)
        return self.decode_mean(z)

    @torch.no_grad()
    def epoch_end(self, epoch: int, run_dir: Path) -> None:
        if self._grid_x is None:
            return
        from genlab.data import save_grid

        samples = Path(run_dir) / "samples"
        recon = self.reconstruct(self._grid_x)
        n = len(self._grid_x)
        save_grid(torch.cat([self._grid_x, recon]).cpu(), samples / f"recon_{epoch:04d}.png",
                  nrow=n // 2 if n > 8 else n)
        save_grid(self.decode_mean(self.fixed_z).cpu(), samples / f"noise_decode_{epoch:04d}.png", nrow=8)
