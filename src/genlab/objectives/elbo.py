"""The VAE's objective as pure tensor functions: KL, likelihoods, the ELBO and the importance-weighted bound.

Notation follows the lecture and Kingma & Welling, "Auto-Encoding Variational Bayes" (2013):
prior p(z) = N(0, I), posterior approximation q(z|x) = N(mu, diag exp(logvar)), decoder p(x|z).
ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) <= log p(x). Everything is in nats unless a name says bits.
Shapes: B images, d latent dims, D = pixels per image, S samples per image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2.0 * math.pi)


def kl_to_standard_normal_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) for each coordinate: (B, d), (B, d) -> (B, d), >= 0.

    Closed form, Kingma & Welling (2013) appendix B: 0.5 * (mu^2 + sigma^2 - 1 - log sigma^2).
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q || N(0, I)) of a diagonal Gaussian, summed over the latent dims: (B, d) -> (B,)."""
    return kl_to_standard_normal_per_dim(mu, logvar).sum(-1)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, *, generator: torch.Generator | None = None,
                   samples: int | None = None) -> torch.Tensor:
    """z = mu + sigma * eps, eps ~ N(0, I), differentiable in mu and logvar (Kingma & Welling 2013, sec. 2.4).

    mu, logvar: (B, d). Returns (B, d), or (samples, B, d) when `samples` is given. `generator` (on mu's
    device) makes the noise reproducible without touching the global RNG; None uses the global RNG.
    """
    shape = mu.shape if samples is None else (samples, *mu.shape)
    eps = torch.randn(shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + (0.5 * logvar).exp() * eps


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) summed over the last dim: (..., d) -> (...)."""
    return -0.5 * (z.pow(2) + LOG_2PI).sum(-1)


def diagonal_normal_log_prob(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(logvar)) summed over the last dim; broadcasts (S, B, d) with (B, d) -> (S, B)."""
    return -0.5 * ((z - mu).pow(2) * (-logvar).exp() + logvar + LOG_2PI).sum(-1)


def _sum_over_pixels(per_pixel: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Sum over x's non-batch dims: (B, ...) -> (B,), or (S, B, ...) -> (S, B) when broadcast over samples."""
    return per_pixel.flatten(per_pixel.dim() - (x.dim() - 1)).sum(-1)


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log Bernoulli(x | sigmoid(logits)) summed over pixels: (B, ...) -> (B,), <= 0.

    logits may carry a leading sample dim, (S, B, ...) with x (B, ...) -> (S, B), without copying x.
    Computed from logits (log-sum-exp form), never through sigmoid then log, so it cannot overflow.
    x in {0, 1}; fractional x in [0, 1] gives the usual continuous relaxation (then it is not a likelihood).
    """
    if logits.dim() == x.dim():
        return -_sum_over_pixels(F.binary_cross_entropy_with_logits(logits, x, reduction="none"), x)
    # Many samples per image (the importance-weighted bound): log p = x.l - softplus(l), with x.l as one
    # contraction instead of elementwise passes; about 1.6x faster here, equal up to float rounding.
    flat, xf = logits.flatten(logits.dim() - (x.dim() - 1)), x.flatten(1)        # (S, B, D), (B, D)
    return torch.einsum("sbd,bd->sb", flat, xf) - softplus_sum(flat)


def softplus_sum(logits: torch.Tensor) -> torch.Tensor:
    """sum over the last dim of softplus(l) = log(1 + e^l): (..., D) -> (...).

    As log(1 + exp(l)) in two in-place passes: about 2x faster than F.softplus on a CPU (the K = 5000 NLL
    spends a fifth of its time here). Accurate to float32 rounding where e^l is finite; where it overflows
    (l > 88 in float32) the sum is inf, and those rows are recomputed with F.softplus. Where e^l < 2^-24 the 1
    absorbs it: an error below 6e-8 nats per term, under float32's own rounding of the sum. Under autograd (the IWAE objective)
    it is F.softplus, whose backward needs no intermediate the in-place passes overwrite.
    """
    if logits.requires_grad and torch.is_grad_enabled():
        return F.softplus(logits).sum(-1)
    total = logits.exp().add_(1).log_().sum(-1)
    overflow = torch.isinf(total)
    if overflow.any():
        total[overflow] = F.softplus(logits[overflow]).sum(-1)
    return total


def gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor,
                            log_sigma: torch.Tensor | float = 0.0) -> torch.Tensor:
    """log N(x; mean, sigma^2 I) summed over pixels: (B, ...) -> (B,); mean (S, B, ...) -> (S, B).

    `log_sigma` is a float (0.0 is the lecture's N(f(z), I)), a 0-d tensor (one learned sigma), or a tensor
    broadcastable to x (a learned sigma per pixel).
    """
    log_sigma = torch.as_tensor(log_sigma, dtype=x.dtype, device=x.device)
    per_pixel = -0.5 * (x - mean).pow(2) * torch.exp(-2.0 * log_sigma) - log_sigma - 0.5 * LOG_2PI
    return _sum_over_pixels(per_pixel, x)


def linear_gaussian_expected_log_likelihood(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                                            log_sigma: float, mu: torch.Tensor, cov: torch.Tensor, *,
                                            diagonal: bool) -> torch.Tensor:
    """E_{z ~ N(mu, cov)}[log N(x; W z + b, s^2 I)] in closed form, for a linear-Gaussian decoder.

    x: (B, D), weight W: (D, d), bias b: (D,), mu: (B, d); cov: (B, d) variances if `diagonal`, else a full
    (d, d) covariance shared by the batch. E||x - Wz - b||^2 = ||x - W mu - b||^2 + tr(W cov W^T), so no
    sampling is needed (probabilistic PCA: Tipping & Bishop 1999). Used to check the ELBO exactly.
    """
    D = x.shape[-1]
    resid = x - mu @ weight.T - bias
    if diagonal:
        trace = (cov * weight.pow(2).sum(0)).sum(-1)  # sum_j var_j ||W_:j||^2
    else:
        trace = torch.einsum("ij,jk,ik->", weight, cov, weight).expand(x.shape[0])
    s2 = math.exp(2.0 * log_sigma)
    return -0.5 * D * (LOG_2PI + 2.0 * log_sigma) - 0.5 * (resid.pow(2).sum(-1) + trace) / s2


class ELBOTerms(NamedTuple):
    """Per-image terms (B,), in nats: `elbo` <= log p(x); `recon` = E_q[-log p(x|z)]; `kl` = KL(q || p(z));
    `loss` = recon + beta * kl (what training minimises; equals -elbo when beta = 1)."""

    elbo: torch.Tensor
    recon: torch.Tensor
    kl: torch.Tensor
    loss: torch.Tensor


def elbo_terms(log_px_given_z: torch.Tensor, kl: torch.Tensor, *, beta: float = 1.0) -> ELBOTerms:
    """log p(x|z) at a posterior sample (B,) and KL (B,) -> the ELBO's terms per image.

    `beta` weights the KL in the loss only (Higgins et al., "beta-VAE", 2017); `elbo` is always the true
    bound (beta = 1), so runs with different beta compare on the same scale.
    """
    recon = -log_px_given_z
    return ELBOTerms(elbo=-(recon + kl), recon=recon, kl=kl, loss=recon + beta * kl)


def importance_weighted_log_px(mu: torch.Tensor, logvar: torch.Tensor,
                               log_likelihood: Callable[[torch.Tensor], torch.Tensor], *, k: int,
                               chunk: int = 256, generator: torch.Generator | None = None) -> torch.Tensor:
    """Importance-weighted estimate of log p(x) with K samples from q (Burda et al., "IWAE", 2015, eq. 8):

        log p(x) ~= logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log K,   z_k ~ q(z|x).

    mu, logvar: (B, d) from the encoder. `log_likelihood(z)` maps z (S, B, d) to log p(x|z) (S, B).
    The K samples are drawn `chunk` at a time and folded into a running logsumexp, so memory is
    O(chunk * B) whatever K is. Returns (B,). It is a lower bound in expectation (Jensen) that tightens
    as K grows and equals the ELBO's single-sample estimate for K = 1.
    """
    if k < 1:
        raise ValueError(f"k = {k}: the number of importance samples must be at least 1")
    total = torch.full(mu.shape[:1], -math.inf, dtype=mu.dtype, device=mu.device)
    done = 0
    while done < k:
        s = min(chunk, k - done)
        z = reparameterize(mu, logvar, generator=generator, samples=s)                  # (s, B, d)
        log_w = log_likelihood(z) + standard_normal_log_prob(z) - diagonal_normal_log_prob(z, mu, logvar)
        total = torch.logaddexp(total, torch.logsumexp(log_w, dim=0))                   # (B,)
        done += s
    return total - math.log(k)


def importance_weighted_bound(log_px_given_z: torch.Tensor, z: torch.Tensor, mu: torch.Tensor,
                              logvar: torch.Tensor) -> torch.Tensor:
    """The IWAE bound on log p(x) from K given posterior samples (Burda et al. 2016, eq. 8), per image:

        L_K = logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log K.

    log_px_given_z: (K, B); z: (K, B, d) drawn from q by reparameterization, so the bound is differentiable
    in the encoder and the decoder (the IWAE training objective). K = 1 is the single-sample ELBO (with a
    Monte Carlo KL); L_K grows with K towards log p(x). Returns (B,).
    """
    log_w = log_px_given_z + standard_normal_log_prob(z) - diagonal_normal_log_prob(z, mu, logvar)
    return torch.logsumexp(log_w, dim=0) - math.log(z.shape[0])


def nats_to_bits_per_dim(nats: torch.Tensor | float, dims: int) -> torch.Tensor | float:
    """Nats per image -> bits per dimension: nats / (D ln 2)."""
    return nats / (dims * math.log(2.0))
