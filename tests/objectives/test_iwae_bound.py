"""The IWAE training bound (objectives.elbo.importance_weighted_bound) against exact answers on the
linear-Gaussian model of test_elbo_exact: K = 1 is the single-sample ELBO, it equals the evaluation
estimator on the same samples, it rises with K towards the exact log p(x), and its gradient flows."""

import math

import torch

from genlab.objectives.elbo import (
    diagonal_normal_log_prob,
    importance_weighted_bound,
    importance_weighted_log_px,
    reparameterize,
    standard_normal_log_prob,
)
from tests.objectives.test_elbo_exact import _mis_scaled_diagonal_q, general_model


def test_k1_is_the_single_sample_elbo():
    model = general_model()
    mu, logvar = _mis_scaled_diagonal_q(model)
    z = reparameterize(mu, logvar, generator=torch.Generator().manual_seed(3), samples=1)
    single = model.log_likelihood(z)[0] + standard_normal_log_prob(z[0]) - diagonal_normal_log_prob(z[0], mu, logvar)
    torch.testing.assert_close(importance_weighted_bound(model.log_likelihood(z), z, mu, logvar), single,
                               atol=1e-12, rtol=0)


def test_equals_the_evaluation_estimator_on_the_same_samples():
    model = general_model()
    mu, logvar = _mis_scaled_diagonal_q(model)
    z = reparameterize(mu, logvar, generator=torch.Generator().manual_seed(4), samples=50)
    bound = importance_weighted_bound(model.log_likelihood(z), z, mu, logvar)
    estimate = importance_weighted_log_px(mu, logvar, model.log_likelihood, k=50, chunk=50,
                                          generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(bound, estimate, atol=1e-10, rtol=0)


def test_rises_with_k_to_within_0_05_nats_of_log_px():
    model = general_model()
    mu, logvar = _mis_scaled_diagonal_q(model)
    g = torch.Generator().manual_seed(6)
    means = []
    for k, repeats in ((1, 400), (10, 400), (100, 100), (5000, 4)):
        gaps = torch.stack([importance_weighted_bound(model.log_likelihood(z), z, mu, logvar) - model.log_px
                            for z in (reparameterize(mu, logvar, generator=g, samples=k) for _ in range(repeats))])
        means.append(float(gaps.mean()))
    assert means[0] < means[1] < means[2] < 0, means                # Burda et al.: L_1 <= L_10 <= L_100 <= log p
    assert abs(means[3]) < 0.05, means


def test_gradient_reaches_the_posterior_parameters():
    model = general_model()
    mu, logvar = (t.clone().requires_grad_() for t in _mis_scaled_diagonal_q(model))
    z = reparameterize(mu, logvar, generator=torch.Generator().manual_seed(7), samples=20)
    importance_weighted_bound(model.log_likelihood(z), z, mu, logvar).sum().backward()
    assert mu.grad is not None and logvar.grad is not None
    assert math.isfinite(float(mu.grad.abs().sum())) and float(mu.grad.abs().sum()) > 0
