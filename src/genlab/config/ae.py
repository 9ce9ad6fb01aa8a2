"""`genlab train ae`: the plain autoencoder's options (the nets and the step live in genlab.training.ae)."""

from __future__ import annotations

from dataclasses import dataclass

from genlab.config.fields import check, option

ARCHS = ("mlp", "conv")
RECON_LOSSES = ("bce", "mse")


@dataclass(frozen=True)
class Config:
    arch: str = option("mlp", "mlp, or conv: DCGAN-style nets for 28x28, 32x32, 64x64 images", choices=ARCHS)
    latent_dim: int = option(32, "size of the code z", min=1, metavar="N")
    hidden: tuple[int, ...] = option((512, 256), "MLP hidden widths, encoder order; the decoder mirrors them",
                                     min=1, metavar="N")
    recon: str = option("bce", "reconstruction loss: bce (from logits) or mse on sigmoid outputs",
                        choices=RECON_LOSSES)
    width: int = option(32, "conv: channels after the first stage, doubled at each stage", min=1, metavar="N")

    def __post_init__(self):
        check(self)
