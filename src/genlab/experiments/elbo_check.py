"""The VAE recap, checked numerically: on a linear-Gaussian model log p(x) and p(z|x) are exact, so the
ELBO identity L = log p(x) - KL(q || p(z|x)) and the importance-weighted bound can be compared with truth."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from genlab.objectives.elbo import (
    gaussian_log_likelihood,
    importance_weighted_log_px,
    kl_to_standard_normal,
    linear_gaussian_expected_log_likelihood,
)
from genlab.report.figures import save_figure, subplots


def _model(d: int, D: int, seed: int):
    """Decoder x = W z + b + N(0, s^2 I) with orthogonal columns of W, so the exact posterior is diagonal."""
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(D, d, generator=g, dtype=torch.float64))
    weight = q * torch.linspace(0.5, 2.0, d, dtype=torch.float64)
    bias = torch.randn(D, generator=g, dtype=torch.float64)
    return weight, bias, math.log(0.7)


def elbo_identity(out_path: Path, *, d: int = 4, D: int = 12, n: int = 8, seed: int = 0,
                  ks: tuple[int, ...] = (1, 10, 100, 1000, 5000)) -> dict:
    """Exact log p(x), the ELBO at the exact posterior and at a mis-scaled q, KL(q || p(z|x)), and the IWAE
    estimate against K. Writes a figure of log p(x) vs the bounds."""
    W, b, log_s = _model(d, D, seed)
    s2 = math.exp(2 * log_s)
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(n, d, generator=g, dtype=torch.float64) @ W.T + b + math.sqrt(s2) * torch.randn(
        n, D, generator=g, dtype=torch.float64)
    cov_x = W @ W.T + s2 * torch.eye(D, dtype=torch.float64)
    log_px = torch.distributions.MultivariateNormal(b, cov_x).log_prob(x)          # exact, (n,)
    post_var = 1.0 / (1.0 + (W ** 2).sum(0) / s2)                                   # (d,): W^T W is diagonal
    post_mu = (x - b) @ W * post_var / s2                                           # (n, d)

    def elbo(mu, var):
        expected = linear_gaussian_expected_log_likelihood(x, W, b, log_s, mu, var.expand_as(mu), diagonal=True)
        return expected - kl_to_standard_normal(mu, var.log().expand_as(mu))

    q_mu, q_var = post_mu + 0.3, post_var * 1.8                                     # a deliberately wrong q
    kl_q_post = 0.5 * ((q_var / post_var) + (post_mu - q_mu) ** 2 / post_var - 1 + (post_var / q_var).log()).sum(1)
    exact_gap = (elbo(post_mu, post_var) - log_px).abs().max()
    identity_gap = (elbo(q_mu, q_var) - (log_px - kl_q_post)).abs().max()
    iw = {}
    for k in ks:
        est = importance_weighted_log_px(q_mu, q_var.log().expand_as(q_mu),
                                         lambda z: gaussian_log_likelihood(
                                             x.expand(z.shape[0], n, D).reshape(-1, D),
                                             (z @ W.T + b).reshape(-1, D), log_s).view(z.shape[0], n),
                                         k=k, generator=torch.Generator().manual_seed(seed + k))
        iw[k] = float((est - log_px).mean())
    _figure(iw, float((elbo(q_mu, q_var) - log_px).mean()), out_path)
    return {"max |ELBO(exact posterior) - log p(x)|": float(exact_gap),
            "max |ELBO(q) - (log p(x) - KL(q||p(z|x)))|": float(identity_gap),
            "mean KL(q || p(z|x)) for the wrong q": float(kl_q_post.mean()),
            **{f"IWAE(K={k}) - log p(x), mean": v for k, v in iw.items()}}


def _figure(iw: dict[int, float], elbo_gap: float, out_path: Path) -> None:
    fig, ax = subplots(figsize=(5.5, 3.4))
    ax.axhline(0.0, color="k", label="log p(x) (exact)")
    ax.axhline(elbo_gap, color="tab:red", ls="--", label="ELBO with a wrong q")
    ax.plot(list(iw), list(iw.values()), "o-", label="importance-weighted bound")
    ax.set_xscale("log")
    ax.set_xlabel("K (importance samples)")
    ax.set_ylabel("bound - log p(x)  [nats]")
    ax.legend(fontsize=8)
    ax.set_title("Linear-Gaussian model: bounds vs the exact log-likelihood")
    save_figure(fig, out_path)
