"""`genlab train vae`: the VAE's options (the nets, the ELBO step and the NLL live in genlab.training.vae)."""

from __future__ import annotations

from dataclasses import dataclass

from genlab.config.ae import ARCHS
from genlab.config.fields import check, option
from genlab.errors import UsageError

LIKELIHOODS = ("bernoulli", "gaussian", "gaussian-learned", "gaussian-learned-pixel")
OBJECTIVES = ("elbo", "iwae")


@dataclass(frozen=True)
class Config:
    arch: str = option("mlp", "mlp, or conv: DCGAN-style nets for 28x28, 32x32, 64x64 images", choices=ARCHS)
    latent_dim: int = option(20, "size of z (20 and --hidden 400: the pytorch/examples VAE; 2 for a manifold)",
                             min=1, metavar="N")
    hidden: tuple[int, ...] = option((400,), "MLP hidden widths, encoder order; the decoder mirrors them",
                                     min=1, metavar="N")
    width: int = option(32, "conv: channels after the first stage, doubled at each stage", min=1, metavar="N")
    likelihood: str = option("bernoulli", "p(x|z): bernoulli (logits); gaussian = N(f(z), I) as on the slides; "
                             "gaussian-learned: one learned sigma; gaussian-learned-pixel: one per pixel",
                             choices=LIKELIHOODS)
    binarize: bool = option(False, "bernoulli only: sample {0,1} pixels from the grey levels at every step "
                            "(dynamic binarization); evaluation uses one fixed binarization per image")
    beta: float = option(1.0, "weight of the KL term in the loss (beta-VAE); the reported elbo always uses 1",
                         min=0, metavar="X")
    objective: str = option("elbo", "what training maximises: elbo, or iwae, the importance-weighted bound with "
                            "--k posterior samples per image (Burda et al. 2016): tighter, k decoder passes",
                            choices=OBJECTIVES)
    conditional: bool = option(False, "class-conditional (Sohn et al. 2015): the one-hot label is an input of the "
                               "encoder and the decoder, so `genlab sample RUN --class K` draws class K; needs "
                               "a labelled dataset")
    label_adversary: float = option(0.0, "conditional: weight lambda of an adversary that reads the label from "
                                    "z through gradient reversal, as DANN's domain head reads the domain (Fader "
                                    "networks, Lample et al. 2017): the encoder learns to leave the class out of z, "
                                    "so the decoder takes it from y and an N(0, I) draw decoded with label y looks "
                                    "like y; 0: off", min=0, metavar="X",
                                    needs={"conditional": (True,), "objective": ("elbo",)})
    iwae_k: int = option(5, "posterior samples per image for --objective iwae (k = 1 is the ELBO with a "
                         "sampled KL)", min=1, flag="--k", metavar="K",
                         needs={"objective": ("iwae",)})

    def __post_init__(self):
        check(self)
        if self.binarize and self.likelihood != "bernoulli":
            raise UsageError(f"--binarize needs --likelihood bernoulli, not {self.likelihood!r}")
        if self.objective == "iwae" and self.beta != 1:
            raise UsageError(f"--beta {self.beta:g} weights the ELBO's KL term; --objective iwae has none (use 1)")
