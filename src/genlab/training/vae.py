"""The variational autoencoder (`genlab train vae`): prior N(0, I), diagonal Gaussian q(z|x), KL in closed form.

Reported per image, in nats (train rows and test rows alike):
  elbo  = E_q[log p(x|z)] - KL(q(z|x) || p(z)), the evidence lower bound itself: <= log p(x), higher is better
          (a negative number for images); always the true bound, whatever --beta is;
  recon = E_q[-log p(x|z)] (one posterior sample per image), lower is better;
  kl    = KL(q(z|x) || N(0, I)) in closed form, >= 0;
  loss  = recon + beta * kl, what training minimises (= -elbo when beta = 1);
  adversary_ce (train rows, --label-adversary X): the cross-entropy of a classifier reading the label from z,
          which it minimises and the encoder, through gradient reversal, maximises with weight X.
Test rows add bits_per_dim = -elbo / (D ln 2), a bound on -log2 p(x) per pixel.
`genlab evaluate DIR --nll --k K` adds nll: the importance-weighted estimate of -log p(x) (Burda et al. 2015).

Likelihoods (--likelihood): bernoulli (decoder outputs are logits; pixels in [0, 1] are used as soft targets
unless --binarize samples {0, 1} pixels afresh at every step; evaluation then uses one fixed binarization per
image); gaussian (N(f(z), I), the lecture's assumption; f(z) = sigmoid(decoder output)); gaussian-learned (one
learned sigma); gaussian-learned-pixel (a learned sigma per pixel). Learned sigmas have a floor of 0.01.
Caveat: on grey levels (no --binarize) the Bernoulli "likelihood" is not normalised over [0, 1]
(Loaiza-Ganem & Cunningham, "The continuous Bernoulli", 2019): its elbo and nll compare runs and match the
pytorch/examples VAE's loss, but they are log-probabilities only for binary pixels (--binarize).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from genlab.config import RunConfig
from genlab.config.vae import Config
from genlab.errors import UsageError
from genlab.models.conditional import (
    LabelledInput,
    LabelledLatent,
    balanced_labels,
    classes_of,
    code_classifier,
)
from genlab.models.vae import VAE
from genlab.objectives.elbo import (
    bernoulli_log_likelihood,
    elbo_terms,
    gaussian_log_likelihood,
    importance_weighted_bound,
    importance_weighted_log_px,
    kl_to_standard_normal,
    nats_to_bits_per_dim,
)
from genlab.objectives.reversal import grad_reverse
from genlab.training import vae_backward
from genlab.training.adam import make_adam
from genlab.training.ae import GRID_SEED, CodeModelTask, build_nets, require_images
from genlab.training.capabilities import Encoder, Likelihood, Posterior, Reconstructor, Sampler
from genlab.training.task import DataInfo

SIGMAS = {"bernoulli": None, "gaussian": "fixed", "gaussian-learned": "global", "gaussian-learned-pixel": "pixel"}


def build_model(config: Config, info: DataInfo) -> VAE:
    require_images(info, "vae")
    sigma = SIGMAS[config.likelihood] or "fixed"
    if not config.conditional:
        encoder, decoder = build_nets(config.arch, info.sample_shape, hidden=config.hidden, width=config.width,
                                      code_dim=2 * config.latent_dim, latent_dim=config.latent_dim)
        return VAE(encoder, decoder, config.latent_dim, info.sample_shape, sigma=sigma)
    k = classes_of(info.num_classes)
    # the nets are built for one more input each: the one-hot label beside the image and beside z
    shape = tuple(info.sample_shape)
    encoder_shape = (shape[0] + k, *shape[1:]) if config.arch == "conv" else (math.prod(shape) + k,)
    encoder, _ = build_nets(config.arch, encoder_shape, hidden=config.hidden, width=config.width,
                            code_dim=2 * config.latent_dim, latent_dim=config.latent_dim)
    _, decoder = build_nets(config.arch, shape, hidden=config.hidden, width=config.width,
                            code_dim=2 * config.latent_dim, latent_dim=config.latent_dim + k)
    return VAE(LabelledInput(encoder, k, channels=config.arch == "conv"), LabelledLatent(decoder, k),
               config.latent_dim, shape, sigma=sigma, classes=k)


def content_seeds(x: torch.Tensor) -> torch.Tensor:
    """A deterministic 62-bit-ish hash of each image's 8-bit pixels: (B, ...) in [0, 1] -> (B,) int64.

    Evaluation noise is keyed on the images themselves, never on the global RNG (exact resume needs it
    untouched): each test image gets the same fixed binarization whichever chunk it is evaluated in, and a
    chunk gets the same posterior noise every time it is evaluated.
    """
    q = (x.detach().flatten(1).clamp(0, 1) * 255).round()
    weights = (torch.arange(1, q.shape[1] + 1, device=q.device, dtype=torch.int64) * 2654435761) % 2147483647
    if 255 * 2147483647 * q.shape[1] < 2 ** 53:
        # One float64 matrix-vector product instead of five int64 passes: every term and partial sum is an
        # integer below 2^53, so the result is exact in any summation order (and equals the int64 sum).
        return (q.double() @ weights.double()).long() % (2 ** 62)
    return (q.long() * weights).sum(1) % (2 ** 62)


class Task(CodeModelTask, Sampler, Reconstructor, Encoder, Posterior, Likelihood):
    def __init__(self, config: RunConfig, info: DataInfo, device: torch.device):
        super().__init__(config, info, device, build_model(config.model, info))
        self.dims = math.prod(info.sample_shape)
        if config.model.label_adversary > 0:  # a conditional VAE's adversary, its own module and Adam
            adversary = code_classifier(config.model.latent_dim, self.model.classes).to(device)
            self.modules["adversary"] = adversary
            self.optimizers["adversary"] = make_adam(adversary.parameters(), lr=config.train.lr)

    # --- the objective ---------------------------------------------------------------------------------
    def log_likelihood(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x|z) per image from decoder outputs: out (B, *shape) -> (B,), or (S, B, *shape) -> (S, B)."""
        if self.config.model.likelihood == "bernoulli":
            return bernoulli_log_likelihood(out, x)
        return gaussian_log_likelihood(x, torch.sigmoid(out), self.model.decoder_log_sigma())

    @property
    def classes(self) -> int:
        """The number of classes of a conditional run; 0 when unconditional."""
        return self.model.classes

    def labels(self, y: torch.Tensor | None, n: int | None = None) -> torch.Tensor | None:
        """The labels a conditional run's nets take (None for an unconditional run): y on the device; with
        y None, `n` balanced labels; UsageError when the run needs labels and neither is given."""
        if not self.model.classes:
            return None
        if y is None:
            if n is None:
                raise UsageError("this VAE is class-conditional (--conditional): it needs the images' labels")
            return balanced_labels(n, self.model.classes, self.device)
        return y.to(self.device)

    def terms(self, x: torch.Tensor, y: torch.Tensor | None = None, *, generator: torch.Generator | None = None,
              model=None):
        """ELBOTerms per image for x (and its labels y when conditional); `model` is the module to call (the
        DDP/compiled one when training)."""
        return self._terms_of((model or self.model)(x, self.labels(y), generator=generator), x)

    def _terms_of(self, out, x: torch.Tensor):
        kl = kl_to_standard_normal(out.mu, out.logvar)
        return elbo_terms(self.log_likelihood(out.out, x), kl, beta=self.config.model.beta)

    def hand_backward(self) -> bool:
        """Whether steps use `vae_backward` (MLP nets, fp32, one process, uncompiled) instead of autograd."""
        return (not self._wrapped and self.scaler is None and self.config.train.precision == "fp32"
                and self.config.model.objective == "elbo" and not self.config.model.conditional
                and vae_backward.supports(self.model, self.config.model.likelihood))

    def train_step(self, x, y, step):
        if self.config.model.binarize:
            x = torch.bernoulli(x)  # global RNG: it is checkpointed, so resume stays exact
        if self.config.model.objective == "iwae":
            return self._iwae_step(x, y)
        extra: dict[str, torch.Tensor] = {}
        if self.hand_backward():
            recon, kl = vae_backward.elbo_gradients(self.model, x, likelihood=self.config.model.likelihood,
                                                    beta=self.config.model.beta)
            t = elbo_terms(-recon, kl, beta=self.config.model.beta)
            self.step_optimizer("model")
        else:
            y = self.labels(y)
            out = self.net("model")(x, y)
            t = self._terms_of(out, x)
            if "adversary" in self.modules:
                extra["adversary_ce"] = self._adversary_ce(out.z, y)
            self.optimize(tuple(self.optimizers), t.loss.mean() + sum(extra.values()))
        means = torch.stack([t.loss.mean(), t.elbo.mean(), t.recon.mean(), t.kl.mean(), *extra.values()]).detach()
        return dict(zip(("loss", "elbo", "recon", "kl", *extra), means.unbind()))

    def _adversary_ce(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """CE(adversary(R(z)), y), added to the loss: the adversary minimises its cross-entropy at reading y
        from the posterior sample z, while the gradient reversal R (weight --label-adversary) makes the
        encoder maximise it. Near log(classes) it means z tells the adversary nothing about the class."""
        logits = self.net("adversary")(grad_reverse(z, self.config.model.label_adversary))
        return F.cross_entropy(logits, y)

    def _iwae_step(self, x: torch.Tensor, y: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """Maximise the K-sample importance-weighted bound (autograd through all K decoder passes); also
        report the first sample's ELBO terms (closed-form KL) so rows compare with ELBO runs."""
        out = self.net("model")(x, self.labels(y), samples=self.config.model.iwae_k)
        log_px = self.log_likelihood(out.out, x)                                     # (K, B)
        bound = importance_weighted_bound(log_px, out.z, out.mu, out.logvar)         # (B,)
        self.optimize("model", -bound.mean())
        t = elbo_terms(log_px[0].detach(), kl_to_standard_normal(out.mu, out.logvar).detach())
        means = torch.stack([-bound.mean(), bound.mean(), t.elbo.mean(), t.recon.mean(), t.kl.mean()]).detach()
        return dict(zip(("loss", "iwae_bound", "elbo", "recon", "kl"), means.unbind()))

    def eval_targets(self, x: torch.Tensor) -> torch.Tensor:
        """The pixels the likelihood is evaluated on: x, or its fixed binarization under --binarize."""
        if not self.config.model.binarize:
            return x
        out = torch.empty_like(x)
        for i, seed in enumerate(content_seeds(x).tolist()):
            g = torch.Generator().manual_seed(seed)
            out[i] = (torch.rand(x.shape[1:], generator=g).to(x.device) < x[i]).to(x.dtype)
        return out

    def _eval_generator(self, x: torch.Tensor) -> torch.Generator:
        seed = int(content_seeds(x).sum() % (2 ** 62)) ^ self.config.train.seed
        return torch.Generator(device=x.device).manual_seed(seed)

    @torch.no_grad()
    def evaluate(self, x, y):
        x = self.eval_targets(x)
        t = self.terms(x, y, generator=self._eval_generator(x))
        elbo = float(t.elbo.mean())
        return {"loss": float(t.loss.mean()), "elbo": elbo, "recon": float(t.recon.mean()),
                "kl": float(t.kl.mean()), "bits_per_dim": nats_to_bits_per_dim(-elbo, self.dims)}

    # --- capabilities ----------------------------------------------------------------------------------
    @torch.no_grad()
    def nll(self, x: torch.Tensor, *, k: int, generator: torch.Generator | None = None,
            rows: int = 4096, labels: torch.Tensor | None = None) -> torch.Tensor:
        """-log p(x) per image (B,), nats, importance-weighted with K posterior samples (x already targets).

        Samples are decoded `rows // B` at a time, so memory stays bounded for K = 5000. 4096 rows of 784
        outputs (13 MB) stay in a CPU's last-level cache for the likelihood passes that follow the product:
        1.4-1.7x faster than 16384 rows here, the same numbers (the noise is drawn in the same order).
        """
        if k < 1:
            raise UsageError(f"--k {k}: must be at least 1")
        y = self.labels(labels)
        mu, logvar = self.model.encode(x, y)
        b = len(x)

        def log_likelihood(z: torch.Tensor) -> torch.Tensor:            # (S, B, d) -> (S, B)
            s = z.shape[0]
            ys = None if y is None else y.repeat(s)
            out = self.model.decode(z.reshape(s * b, -1), ys).view(s, b, *x.shape[1:])
            return self.log_likelihood(out, x)                          # x broadcasts over S, no copy

        chunk = max(1, rows // b)
        return -importance_weighted_log_px(mu, logvar, log_likelihood, k=k, chunk=chunk, generator=generator)

    def nll_summary(self, split, *, take: int, k: int, device: torch.device,
                    generator: torch.Generator | None = None, batch: int = 100) -> dict:
        """Mean importance-weighted -log p(x) over the first `take` items of `split`, with its standard error."""
        from genlab.data import to_float
        from genlab.progress import Progress

        if k < 1:
            raise UsageError(f"--k {k}: must be at least 1")
        if take < 1:
            raise UsageError("--nll: the test split is empty (nothing to estimate -log p(x) on)")
        estimates = []
        with Progress(total=take, desc=f"nll (K={k})", unit="img") as bar:
            for start in range(0, take, batch):
                stop = min(take, start + batch)
                x = self.eval_targets(to_float(split.images[start:stop].to(device)))
                y = split.labels[start:stop] if self.model.classes else None
                estimates.append(self.nll(x, k=k, generator=generator, labels=y).double().cpu())
                bar.update(len(x), {"nll": float(torch.cat(estimates).mean())})
        est = torch.cat(estimates)
        stderr = float(est.std() / math.sqrt(len(est))) if len(est) > 1 else None  # JSON null, not NaN
        nll = float(est.mean())
        return {"nll": nll, "nll_stderr": stderr, "nll_k": k,
                "nll_bits_per_dim": nats_to_bits_per_dim(nll, self.dims)}

    @torch.no_grad()
    def decode_mean(self, z: torch.Tensor, *, labels: torch.Tensor | None = None) -> torch.Tensor:
        """z (B, d) -> the decoder's mean image (B, *shape) in [0, 1] (Bernoulli probabilities or f(z)); a
        conditional run decodes `labels`, or every class in turn when none are given."""
        return torch.sigmoid(self.model.decode(z, self.labels(labels, len(z))))

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None,
               labels: torch.Tensor | None = None) -> torch.Tensor:
        """n draws z ~ N(0, I), decoded to mean images (n, *shape) in [0, 1]. Conditional: of the classes in
        `labels` (n,), or of every class in turn."""
        z = torch.randn(n, self.config.model.latent_dim, generator=generator, device=self.device)
        return self.decode_mean(z, labels=labels)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, *, generator: torch.Generator | None = None,
                    use_mean: bool = False, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Decode a posterior sample z ~ q(z|x) (or its mean) to mean images in [0, 1]; a conditional run
        needs the images' labels."""
        y = self.labels(labels)
        mu, logvar = self.model.encode(x, y)
        if use_mean:
            return self.decode_mean(mu, labels=y)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return self.decode_mean(mu + (0.5 * logvar).exp() * eps, labels=y)

    @torch.no_grad()
    def posterior(self, x: torch.Tensor, *, labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x -> (mu, logvar) of q(z|x), each (B, latent_dim); q(z|x, y) for a conditional run."""
        return self.model.encode(x, self.labels(labels))

    @torch.no_grad()
    def encode(self, x: torch.Tensor, *, labels: torch.Tensor | None = None) -> torch.Tensor:
        """x -> the posterior means (B, latent_dim), the VAE's code."""
        return self.model.encode(x, self.labels(labels))[0]

    @torch.no_grad()
    def epoch_end(self, epoch: int, run_dir: Path) -> None:
        from genlab.data import save_grid

        samples = Path(run_dir) / "samples"
        # a conditional run decodes the classes in turn: one class per column
        save_grid(self.decode_mean(self.fixed_z).cpu(), samples / f"samples_{epoch:04d}.png",
                  nrow=self.model.classes or 8)
        if self._grid_x is not None:
            g = torch.Generator(device=self.device).manual_seed(GRID_SEED)
            recon = self.reconstruct(self._grid_x, generator=g, labels=self._grid_y if self.model.classes else None)
            n = len(self._grid_x)
            save_grid(torch.cat([self._grid_x, recon]).cpu(), samples / f"recon_{epoch:04d}.png",
                      nrow=n // 2 if n > 8 else n)


