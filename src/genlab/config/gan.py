"""`genlab train gan`: the image GAN's options (nets and the adversarial step live in genlab.training.gan)."""

from __future__ import annotations

from dataclasses import dataclass

from genlab.config.fields import check, option
from genlab.errors import UsageError

NETS = ("dcgan", "mlp")
NOISES = ("normal", "uniform")
GENERATOR_LOSSES = ("minimax", "non-saturating")          # the original game (gan-1d checks it against D*)
CRITIC_LOSSES = ("wgan-gp", "hinge")                      # games with a real-valued critic instead
D_NORMS = ("batch", "layer", "none")
DEFAULT_LR = 2e-4  # Radford et al. 2016, Sec. 4: Adam, lr 2e-4, beta1 0.5

LOSS_HELP = ("generator loss: minimax = E[log(1 - D(G(z)))] (the lecture's E_G = -E_D, saturates when D wins) "
             "or non-saturating = -E[log D(G(z))]")
CRITIC_LOSS_HELP = ("; wgan-gp: the Wasserstein critic with a gradient penalty (Gulrajani et al. 2017; their setting: "
                    "--d-steps 5 --lr 1e-4 --betas 0 0.9); hinge: the hinge loss of SN-GANs (Miyato et al. 2018)")
GP_WEIGHT_HELP = "wgan-gp: weight of the gradient penalty (lambda in Gulrajani et al.)"
GP_ONE_SIDED_HELP = ("wgan-gp: penalise only gradient norms above 1, max(0, |grad| - 1)^2; on 1-D data the two-sided "
                     "penalty can trap a critic whose slope starts with the wrong sign")


def check_penalty(config) -> None:
    """--gp-one-sided shapes the gradient penalty, which only the wgan-gp loss has (the gan and gan-1d rule)."""
    if config.gp_one_sided and config.loss != "wgan-gp":
        raise UsageError(f"--gp-one-sided: only --loss wgan-gp has a gradient penalty (got --loss {config.loss})")


@dataclass(frozen=True)
class Config:
    net: str = option("dcgan", "network type: dcgan (conv, batch norm) or mlp", choices=NETS)
    loss: str = option("non-saturating", LOSS_HELP + CRITIC_LOSS_HELP, choices=GENERATOR_LOSSES + CRITIC_LOSSES)
    gp_weight: float = option(10.0, GP_WEIGHT_HELP, min=0, metavar="X", needs={"loss": ("wgan-gp",)})
    gp_one_sided: bool = option(False, GP_ONE_SIDED_HELP)  # its rule: check_penalty (a value, files too)
    d_norm: str | None = option(None, "normalisation in the DCGAN discriminator: batch, layer (per image), or "
                                "none (default: layer for wgan-gp, whose penalty is per sample; else batch)",
                                choices=D_NORMS)
    conditional: bool = option(False, "class-conditional: G takes the one-hot label beside z, D is a projection "
                               "discriminator (Miyato & Koyama 2018); `genlab sample RUN --class K` draws class K; "
                               "needs a labelled dataset")
    aux_classifier: float = option(0.0, "conditional: weight of an auxiliary classifier (AC-GAN, Odena et al. "
                                   "2017): a class head on D's features learns the class of real images, and G "
                                   "is trained to make that head name the class it was asked for; 0: off",
                                   min=0, metavar="X", needs={"conditional": (True,)})
    spectral_norm: bool = option(False, "spectral normalisation of every layer of D (Miyato et al. 2018)")
    d_steps: int = option(1, "discriminator updates per generator update (K in Algorithm 1)", min=1,
                          metavar="K")
    lr_d: float | None = option(None, "discriminator learning rate (default: --lr)", above=0, metavar="X")
    lr_g: float | None = option(None, "generator learning rate (default: --lr)", above=0, metavar="X")
    betas: tuple[float, float] = option((0.5, 0.999), "Adam betas for both nets; beta1 0.5 steadies the game "
                                        "(Radford et al. 2016)", min=0, below=1, metavar=("B1", "B2"))
    noise: str = option("normal", "latent prior: normal N(0, I) or uniform U(-1, 1)", choices=NOISES)
    latent_dim: int = option(100, "size of z", min=1, metavar="N")
    ngf: int = option(64, "DCGAN generator width (G's last hidden layer)", min=1, metavar="N")
    ndf: int = option(64, "DCGAN discriminator width (D's first layer)", min=1, metavar="N")
    hidden: tuple[int, ...] = option((512, 512), "MLP hidden widths (G in this order, D reversed)", min=1,
                                     metavar="N")
    ema: float | None = option(None, "keep an exponential moving average of G's weights with this decay (e.g. "
                               "0.999); samples use it", above=0, below=1, metavar="DECAY")
    channels_last: bool = option(True, "NHWC memory layout for the conv nets (faster convolutions)")

    def __post_init__(self):
        check(self)
        check_penalty(self)
        if self.d_norm is None:  # resolved once, so config.json holds what ran
            object.__setattr__(self, "d_norm", "layer" if self.loss == "wgan-gp" else "batch")
