"""`genlab train gan-1d`: the lecture's 1-D GAN, checked against the exact optimal discriminator."""

from __future__ import annotations

from dataclasses import dataclass

from genlab.config.fields import check, option
from genlab.config.gan import (
    CRITIC_LOSS_HELP,
    CRITIC_LOSSES,
    GENERATOR_LOSSES,
    GP_ONE_SIDED_HELP,
    GP_WEIGHT_HELP,
    LOSS_HELP,
    NOISES,
    check_penalty,
)
from genlab.errors import UsageError

GENERATORS = ("mlp", "affine")
OPTIMIZERS = ("adam", "sgd")
DEFAULT_LR = 1e-3


@dataclass(frozen=True)
class Config:
    generator: str = option("mlp", "G: an MLP, or affine a*z + b whose p_g is known exactly", choices=GENERATORS)
    affine_init: tuple[float, float] = option((1.0, 0.0), "starting a and b of the affine G", metavar=("A", "B"),
                                              needs={"generator": ("affine",)})
    freeze_generator: bool = option(False, "train only D against a fixed G (D then converges to D*)")
    loss: str = option("non-saturating", LOSS_HELP + CRITIC_LOSS_HELP, choices=GENERATOR_LOSSES + CRITIC_LOSSES)
    gp_weight: float = option(10.0, GP_WEIGHT_HELP, min=0, metavar="X", needs={"loss": ("wgan-gp",)})
    gp_one_sided: bool = option(False, GP_ONE_SIDED_HELP)  # its rule: check_penalty (a value, files too)
    d_steps: int = option(1, "D updates per G update", min=1, metavar="K")
    lr_d: float | None = option(None, "discriminator learning rate (default: --lr)", above=0, metavar="X")
    lr_g: float | None = option(None, "generator learning rate (default: --lr)", above=0, metavar="X")
    optimizer: str = option("adam", "adam (with --betas) or sgd with momentum 0.9, as Goodfellow et al.",
                            choices=OPTIMIZERS)
    betas: tuple[float, float] = option((0.5, 0.999), "Adam betas", min=0, below=1, metavar=("B1", "B2"),
                                        needs={"optimizer": ("adam",)})
    noise: str = option("normal", "z ~ N(0, I) or U(-1, 1)", choices=NOISES)
    latent_dim: int = option(1, "size of z", min=1, metavar="N")
    g_hidden: tuple[int, ...] = option((16, 16), "G's MLP widths", min=1, metavar="N")
    d_hidden: tuple[int, ...] = option((32, 32), "D's MLP widths (D bigger than G, as the lecture's "
                                       "considerations slide says)", min=1, metavar="N")

    def __post_init__(self):
        check(self)
        check_penalty(self)
        if self.generator == "affine" and self.latent_dim != 1:
            raise UsageError(f"--latent-dim {self.latent_dim}: the affine generator maps a 1-D z; use 1")
