"""The GAN game of Goodfellow et al. 2014 ("Generative Adversarial Nets", arXiv:1406.2661) as pure functions.

Everything the nets feed in is a discriminator LOGIT l, with D = sigmoid(l). Working in logits keeps the losses
finite where D saturates:  -log D = -log sigmoid(l) = softplus(-l)  and  -log(1 - D) = softplus(l),
both exact and stable for |l| in the hundreds (a probability would round to 0 or 1 long before).

Section 4 of the paper gives the exact answers the 1-D tests check against:
  Prop. 1   D*(x) = p_data(x) / (p_data(x) + p_g(x))
  Thm. 1    V(D*, G) = -log 4 + 2 JSD(p_data || p_g)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from genlab.config.gan import GENERATOR_LOSSES  # declared once, with the --loss option
from genlab.errors import UsageError

REDUCTIONS = ("mean", "none")


def _reduce(per_item: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return per_item.mean()
    if reduction == "none":
        return per_item
    raise UsageError(f"reduction {reduction!r}: accepted {', '.join(REDUCTIONS)}")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, *,
                       reduction: str = "mean") -> torch.Tensor:
    """The lecture's E_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))], the BCE of a real(1)/fake(0) classifier.

    real_logits: (B,) D's logits on data; fake_logits: (B',) on generated samples.
    reduction "mean": a 0-d tensor (each expectation is its own batch mean, so B may differ from B');
    "none": (B,) per-pair terms softplus(-l_real) + softplus(l_fake) (needs B == B').
    """
    real_term = F.softplus(-real_logits)   # -log D(x)
    fake_term = F.softplus(fake_logits)    # -log(1 - D(G(z)))
    if reduction == "mean":
        return real_term.mean() + fake_term.mean()
    return _reduce(real_term + fake_term, reduction)


def generator_loss_minimax(fake_logits: torch.Tensor, *, reduction: str = "mean") -> torch.Tensor:
    """The saturating min-max generator loss E_G = -E_D, keeping only the term G can change:
    E_z[log(1 - D(G(z)))] = -E[softplus(l)].  fake_logits: (B,) -> 0-d (mean) or (B,) (none).

    Its gradient in the logit is -sigmoid(l) = -D(G(z)): it vanishes exactly when D confidently rejects the
    samples (D(G(z)) -> 0), which is why Goodfellow et al. 2014, Sec. 3, propose the non-saturating loss.
    """
    return _reduce(-F.softplus(fake_logits), reduction)


def generator_loss_non_saturating(fake_logits: torch.Tensor, *, reduction: str = "mean") -> torch.Tensor:
    """-E_z[log D(G(z))] = E[softplus(-l)]; same fixed point as min-max, but its logit gradient is
    -(1 - D(G(z))), which is largest when D rejects the samples.  fake_logits: (B,) -> 0-d or (B,)."""
    return _reduce(F.softplus(-fake_logits), reduction)


def generator_loss(kind: str, fake_logits: torch.Tensor, *, reduction: str = "mean") -> torch.Tensor:
    """Dispatch by name: "minimax" or "non-saturating"."""
    if kind == "minimax":
        return generator_loss_minimax(fake_logits, reduction=reduction)
    if kind == "non-saturating":
        return generator_loss_non_saturating(fake_logits, reduction=reduction)
    raise UsageError(f"--loss {kind!r}: accepted {', '.join(GENERATOR_LOSSES)}")


def wasserstein_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """E[D(G(z))] - E[D(x)]: the critic maximises their difference, the Kantorovich-Rubinstein estimate of
    the Wasserstein-1 distance when D is 1-Lipschitz (Arjovsky et al. 2017, eq. 3)."""
    return fake_scores.mean() - real_scores.mean()


def hinge_discriminator_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))] (Lim & Ye 2017; Miyato et al. 2018, eq. 17)."""
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


def critic_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """-E[D(G(z))]: G's loss under the Wasserstein and the hinge games alike."""
    return -fake_scores.mean()


def auxiliary_class_loss(class_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """AC-GAN's class term (Odena et al. 2017, eq. 2 as a loss): -E[log p(c = y | x)] under D's class head,
    the cross-entropy of class_logits (B, classes) against labels (B,); D descends it on real images, G on
    the images it generated for `labels`."""
    return F.cross_entropy(class_logits, labels.long().to(class_logits.device))


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, *,
                     generator: torch.Generator | None = None, one_sided: bool = False) -> torch.Tensor:
    """E[(||grad_x D(x_hat)||_2 - 1)^2] at x_hat = e x + (1 - e) G(z), e ~ U(0, 1) per pair (Gulrajani et al.
    2017, Algorithm 1): pulls D towards 1-Lipschitz along the lines between real and generated samples.
    Differentiable in D's weights (create_graph), so adding it to the critic's loss trains the penalty.

    one_sided: E[max(0, ||grad|| - 1)^2], which penalises only slopes above 1 (the variant Gulrajani et al.
    also tried). On 1-D data the two-sided form has a barrier of height lambda at slope 0: a critic that starts
    with the wrong sign of slope cannot turn round when 2 W1 < lambda, and settles scoring G above the data."""
    e = torch.rand((len(real),) + (1,) * (real.dim() - 1), generator=generator, device=real.device,
                   dtype=real.dtype)
    x_hat = (e * real.detach() + (1 - e) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    excess = grad.flatten(1).norm(dim=1) - 1
    return (excess.clamp(min=0) if one_sided else excess).pow(2).mean()


def value_from_logits(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Monte Carlo estimate of V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))] = -E_D (0-d)."""
    return -discriminator_loss(real_logits, fake_logits)


# ---- exact 1-D quantities on a grid (numerical integration) -------------------------------------------

def gaussian_density(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """N(x; mean, std^2) evaluated elementwise."""
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """Prop. 1: D*(x) = p_data / (p_data + p_g), elementwise on density values (same shape).

    Where both densities are 0 no sample ever lands, D* is arbitrary; we return 1/2 there.
    """
    total = p_data + p_g
    return torch.where(total > 0, p_data / total.clamp_min(torch.finfo(total.dtype).tiny), 0.5)


def _xlogy(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """p * log q with 0 * log 0 = 0 (the integrands below vanish where p does)."""
    return torch.special.xlogy(p, q)


def value_function(d: torch.Tensor, p_data: torch.Tensor, p_g: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """V(D, G) = integral of p_data log D + p_g log(1 - D) dx by the trapezoid rule on `grid` (N,) (0-d)."""
    integrand = _xlogy(p_data, d) + _xlogy(p_g, 1 - d)
    return torch.trapezoid(integrand, grid)


def jensen_shannon(p: torch.Tensor, q: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2, m = (p + q)/2, in nats, by the trapezoid rule (0-d).

    p, q: (N,) densities on `grid` (N,), which must cover both supports.
    """
    m = 0.5 * (p + q)
    kl_pm = _xlogy(p, p) - _xlogy(p, m)
    kl_qm = _xlogy(q, q) - _xlogy(q, m)
    return 0.5 * torch.trapezoid(kl_pm + kl_qm, grid)


def value_at_optimum(p_data: torch.Tensor, p_g: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """V(D*, G) by integration, D* from Prop. 1 (0-d). Thm. 1 says it equals -log 4 + 2 JSD(p_data || p_g).

    In log space: log D* = log p_data - log(p_data + p_g), log(1 - D*) = log p_g - log(p_data + p_g), so tails
    where D* rounds to 1 (but p_g is not exactly 0) cost nothing instead of 0 * log 0 = nan or p * log 0 = -inf.
    """
    total = p_data + p_g
    integrand = (_xlogy(p_data, p_data) - _xlogy(p_data, total)) + (_xlogy(p_g, p_g) - _xlogy(p_g, total))
    return torch.trapezoid(integrand, grid)
