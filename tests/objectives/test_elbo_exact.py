"""The ELBO machinery against exact answers, on a linear-Gaussian model where everything is known.

Model: z ~ N(0, I_d), x = W z + b + N(0, s^2 I_D). Then exactly (probabilistic PCA, Tipping & Bishop 1999)
    log p(x)  = log N(x; b, W W^T + s^2 I),
    p(z | x)  = N(m, S),  S = (I + W^T W / s^2)^-1,  m = S W^T (x - b) / s^2.
All in float64, so "equal" means to 1e-4 nats with room to spare.
"""

import math

import pytest
import torch
from torch.distributions import MultivariateNormal, kl_divergence

from genlab.objectives.elbo import (
    diagonal_normal_log_prob,
    gaussian_log_likelihood,
    importance_weighted_log_px,
    kl_to_standard_normal,
    kl_to_standard_normal_per_dim,
    linear_gaussian_expected_log_likelihood,
    reparameterize,
    standard_normal_log_prob,
)

D, d, B = 6, 3, 5
LOG_S = math.log(0.6)


class Linear:
    """One linear-Gaussian model with its exact marginal and posterior."""

    def __init__(self, weight: torch.Tensor, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.W = weight
        self.b = torch.randn(D, generator=g, dtype=torch.float64)
        s2 = math.exp(2 * LOG_S)
        z = torch.randn(B, d, generator=g, dtype=torch.float64)
        self.x = z @ self.W.T + self.b + math.exp(LOG_S) * torch.randn(B, D, generator=g, dtype=torch.float64)
        marginal = MultivariateNormal(self.b, self.W @ self.W.T + s2 * torch.eye(D, dtype=torch.float64))
        self.log_px = marginal.log_prob(self.x)                                       # (B,)
        self.S = torch.linalg.inv(torch.eye(d, dtype=torch.float64) + self.W.T @ self.W / s2)
        self.m = (self.x - self.b) @ self.W @ self.S / s2                              # (B, d), S symmetric

    def log_likelihood(self, z: torch.Tensor) -> torch.Tensor:
        """log p(x|z) for z (S, B, d) -> (S, B), through the library's Gaussian likelihood."""
        s = z.shape[0]
        mean = (z @ self.W.T + self.b).reshape(s * B, D)
        return gaussian_log_likelihood(self.x.repeat(s, 1), mean, LOG_S).view(s, B)

    def posterior(self) -> MultivariateNormal:
        return MultivariateNormal(self.m, self.S.expand(B, d, d))


def general_model(seed=0) -> Linear:
    g = torch.Generator().manual_seed(100 + seed)
    return Linear(torch.randn(D, d, generator=g, dtype=torch.float64), seed)


def orthogonal_model(seed=0) -> Linear:
    """W with orthogonal columns: W^T W is diagonal, so the exact posterior is a diagonal Gaussian."""
    g = torch.Generator().manual_seed(200 + seed)
    q, _ = torch.linalg.qr(torch.randn(D, d, generator=g, dtype=torch.float64))
    return Linear(q * torch.tensor([2.0, 1.0, 0.5], dtype=torch.float64), seed)


def full_kl_to_prior(mean: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    prior = MultivariateNormal(torch.zeros(d, dtype=torch.float64), torch.eye(d, dtype=torch.float64))
    return kl_divergence(MultivariateNormal(mean, cov.expand(mean.shape[0], d, d)), prior)


# (1) q = the exact posterior: the ELBO is log p(x) exactly.

def test_elbo_with_exact_full_covariance_posterior_equals_log_px():
    model = general_model()
    expected_ll = linear_gaussian_expected_log_likelihood(model.x, model.W, model.b, LOG_S, model.m, model.S,
                                                          diagonal=False)
    elbo = expected_ll - full_kl_to_prior(model.m, model.S)
    torch.testing.assert_close(elbo, model.log_px, atol=1e-4, rtol=0)


def test_elbo_with_exact_diagonal_posterior_equals_log_px_through_library_functions():
    model = orthogonal_model()
    var = torch.diagonal(model.S).expand(B, d)
    assert torch.allclose(model.S, torch.diag(torch.diagonal(model.S)), atol=1e-12)
    logvar = var.log()
    elbo = (linear_gaussian_expected_log_likelihood(model.x, model.W, model.b, LOG_S, model.m, var, diagonal=True)
            - kl_to_standard_normal(model.m, logvar))
    torch.testing.assert_close(elbo, model.log_px, atol=1e-4, rtol=0)
    # With q = p(z|x), log p(x,z) - log q(z|x) = log p(x) for EVERY z: the single-sample ELBO estimate and
    # the importance-weighted estimate have zero variance. A wrong term in any function breaks this.
    z = reparameterize(model.m, logvar, generator=torch.Generator().manual_seed(1), samples=7)
    log_w = model.log_likelihood(z) + standard_normal_log_prob(z) - diagonal_normal_log_prob(z, model.m, logvar)
    torch.testing.assert_close(log_w, model.log_px.expand(7, B), atol=1e-4, rtol=0)
    iw = importance_weighted_log_px(model.m, logvar, model.log_likelihood, k=3, chunk=2,
                                    generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(iw, model.log_px, atol=1e-4, rtol=0)


# (2) Any Gaussian q: ELBO = log p(x) - KL(q || p(z|x)).

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_elbo_gap_is_kl_to_exact_posterior_for_diagonal_q(seed):
    model = general_model(seed)
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(B, d, generator=g, dtype=torch.float64)
    logvar = torch.randn(B, d, generator=g, dtype=torch.float64) - 1
    elbo = (linear_gaussian_expected_log_likelihood(model.x, model.W, model.b, LOG_S, mu, logvar.exp(),
                                                    diagonal=True)
            - kl_to_standard_normal(mu, logvar))
    q = MultivariateNormal(mu, torch.diag_embed(logvar.exp()))
    torch.testing.assert_close(elbo, model.log_px - kl_divergence(q, model.posterior()), atol=1e-4, rtol=0)
    assert (elbo < model.log_px).all()


def test_elbo_gap_is_kl_to_exact_posterior_for_full_covariance_q():
    model = general_model(3)
    g = torch.Generator().manual_seed(3)
    mu = torch.randn(B, d, generator=g, dtype=torch.float64)
    a = torch.randn(d, d, generator=g, dtype=torch.float64)
    cov = a @ a.T + 0.1 * torch.eye(d, dtype=torch.float64)
    elbo = (linear_gaussian_expected_log_likelihood(model.x, model.W, model.b, LOG_S, mu, cov, diagonal=False)
            - full_kl_to_prior(mu, cov))
    q = MultivariateNormal(mu, cov.expand(B, d, d))
    torch.testing.assert_close(elbo, model.log_px - kl_divergence(q, model.posterior()), atol=1e-4, rtol=0)


# (3) The importance-weighted estimate: below log p(x) in expectation, and tight at large K.

def _mis_scaled_diagonal_q(model: Linear):
    """Diagonal of the exact posterior, variances 1.5x too wide, means shifted: a realistic imperfect q."""
    logvar = (1.5 * torch.diagonal(model.S)).log().expand(B, d)
    return model.m + 0.1, logvar


def test_importance_weighted_estimate_is_within_0_05_nats_at_k_5000():
    model = general_model()
    mu, logvar = _mis_scaled_diagonal_q(model)
    iw = importance_weighted_log_px(mu, logvar, model.log_likelihood, k=5000, chunk=512,
                                    generator=torch.Generator().manual_seed(0))
    assert (iw - model.log_px).abs().max() < 0.05, (iw - model.log_px)


def test_importance_weighted_estimate_is_not_above_log_px_in_expectation_and_tightens_with_k():
    model = general_model()
    mu, logvar = _mis_scaled_diagonal_q(model)
    repeats, means = 300, []
    g = torch.Generator().manual_seed(5)
    for k in (1, 10, 100):
        # `repeats` independent estimates per image at once: tile the batch.
        mu_r, logvar_r = mu.repeat(repeats, 1), logvar.repeat(repeats, 1)
        x_r = model.x.repeat(repeats, 1)

        def log_likelihood(z, x_r=x_r):
            s = z.shape[0]
            mean = (z @ model.W.T + model.b).reshape(-1, D)
            return gaussian_log_likelihood(x_r.repeat(s, 1), mean, LOG_S).view(s, -1)

        est = importance_weighted_log_px(mu_r, logvar_r, log_likelihood, k=k, chunk=64, generator=g)
        gap = (est.view(repeats, B) - model.log_px)                       # (repeats, B)
        mean, stderr = gap.mean(0), gap.std(0) / math.sqrt(repeats)
        assert (mean < 3 * stderr).all(), (k, mean, stderr)              # not above log p(x) beyond MC error
        means.append(gap.mean())
    assert means[0] < means[1] < means[2] < 0                            # tighter as K grows (Burda et al.)


def test_importance_weighted_k1_is_the_single_sample_elbo():
    model = general_model()
    mu, logvar = _mis_scaled_diagonal_q(model)
    iw = importance_weighted_log_px(mu, logvar, model.log_likelihood, k=1,
                                    generator=torch.Generator().manual_seed(9))
    z = reparameterize(mu, logvar, generator=torch.Generator().manual_seed(9), samples=1)
    single = model.log_likelihood(z)[0] + standard_normal_log_prob(z[0]) - diagonal_normal_log_prob(z[0], mu, logvar)
    torch.testing.assert_close(iw, single, atol=1e-10, rtol=0)


# (4) Closed-form KL to N(0, I) against Monte Carlo.

def test_closed_form_kl_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(4, d, generator=g, dtype=torch.float64)
    logvar = torch.randn(4, d, generator=g, dtype=torch.float64)
    n = 200_000
    z = reparameterize(mu, logvar, generator=g, samples=n)                       # (n, 4, d)
    # per dim: log q_j(z_j) - log p(z_j)
    per_dim = (-0.5 * ((z - mu) ** 2 / logvar.exp() + logvar) + 0.5 * z ** 2)    # (n, 4, d)
    mc, stderr = per_dim.mean(0), per_dim.std(0) / math.sqrt(n)
    closed = kl_to_standard_normal_per_dim(mu, logvar)
    assert ((mc - closed).abs() < 5 * stderr).all(), (mc - closed) / stderr
    summed = standard_normal_log_prob(z) * -1 + diagonal_normal_log_prob(z, mu, logvar)
    assert ((summed.mean(0) - kl_to_standard_normal(mu, logvar)).abs() < 5 * summed.std(0) / math.sqrt(n)).all()


# (5) The reparameterization gradient is unbiased.

def test_reparameterized_gradient_matches_analytic_gradient_for_quadratic_f():
    """f(z) = sum(a z^2) + c.z, so E_q f = sum a (mu^2 + sigma^2) + c.mu and
    dE/dmu = 2 a mu + c,  dE/dlog sigma = 2 a sigma^2.
    Per-sample gradients are 2 a z + c (sd 2|a| sigma) and 2 a z sigma eps
    (sd 2|a| sigma sqrt(mu^2 + 2 sigma^2)); the mean of n must land within 5 standard errors."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(d, generator=g, dtype=torch.float64)
    c = torch.randn(d, generator=g, dtype=torch.float64)
    mu = torch.randn(d, dtype=torch.float64, generator=g).requires_grad_()
    log_sigma = (0.3 * torch.randn(d, dtype=torch.float64, generator=g)).requires_grad_()
    n = 400_000
    z = reparameterize(mu.expand(n, d), 2 * log_sigma.expand(n, d), generator=g)
    ((a * z ** 2).sum(-1) + z @ c).mean().backward()
    with torch.no_grad():
        sigma = log_sigma.exp()
        grad_mu, grad_ls = 2 * a * mu + c, 2 * a * sigma ** 2
        se_mu = 2 * a.abs() * sigma / math.sqrt(n)
        se_ls = 2 * a.abs() * sigma * (mu ** 2 + 2 * sigma ** 2).sqrt() / math.sqrt(n)
    assert ((mu.grad - grad_mu).abs() < 5 * se_mu).all(), (mu.grad - grad_mu) / se_mu
    assert ((log_sigma.grad - grad_ls).abs() < 5 * se_ls).all(), (log_sigma.grad - grad_ls) / se_ls
