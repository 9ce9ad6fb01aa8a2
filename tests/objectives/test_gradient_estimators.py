"""Both gradient estimators against the exact gradient of a Gaussian expectation with a closed form."""

import math

import pytest
import torch

from genlab.objectives.gradient_estimators import (
    quadratic,
    quadratic_expectation,
    quadratic_expectation_gradient,
    reparameterized_gradient,
    score_function_gradient,
)

A = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
B = torch.tensor([1.5, 0.5, -1.0], dtype=torch.float64)
MU = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
LOG_SIGMA = torch.tensor([math.log(0.8), math.log(1.5), 0.0], dtype=torch.float64)


def _eps(n, seed=0):
    return torch.randn(n, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_closed_form_gradient_is_the_gradient_of_the_closed_form():
    mu, log_sigma = MU.clone().requires_grad_(True), LOG_SIGMA.clone().requires_grad_(True)
    quadratic_expectation(A, B, mu, log_sigma).backward()
    g_mu, g_ls = quadratic_expectation_gradient(A, B, MU, LOG_SIGMA)
    assert torch.allclose(mu.grad, g_mu) and torch.allclose(log_sigma.grad, g_ls)


def test_closed_form_expectation_matches_monte_carlo():
    z = MU + LOG_SIGMA.exp() * _eps(400_000)
    values = quadratic(A, B)(z)
    assert float(values.mean()) == pytest.approx(float(quadratic_expectation(A, B, MU, LOG_SIGMA)),
                                                 abs=4 * float(values.std()) / math.sqrt(len(values)))


@pytest.mark.parametrize("estimator", [reparameterized_gradient, score_function_gradient])
def test_estimators_are_unbiased_on_the_closed_form(estimator):
    n = 400_000
    g_mu, g_ls = estimator(quadratic(A, B), MU, LOG_SIGMA, _eps(n, seed=1))
    assert g_mu.shape == g_ls.shape == (n, 3)
    per_sample = torch.cat([g_mu, g_ls], 1)
    exact = torch.cat(quadratic_expectation_gradient(A, B, MU, LOG_SIGMA))
    z = (per_sample.mean(0) - exact).abs() / (per_sample.std(0) / math.sqrt(n))
    assert float(z.max()) < 4.5, z


def test_reparameterized_variance_is_far_lower_at_equal_samples():
    eps = _eps(20_000, seed=2)
    rep = torch.cat(reparameterized_gradient(quadratic(A, B), MU, LOG_SIGMA, eps), 1)
    score = torch.cat(score_function_gradient(quadratic(A, B), MU, LOG_SIGMA, eps), 1)
    assert float(score.var(0).sum()) > 10 * float(rep.var(0).sum())


def test_reparameterized_gradient_of_a_linear_f_is_exact_per_sample():
    c = torch.tensor([0.3, -1.0, 2.0], dtype=torch.float64)
    eps = _eps(7)
    g_mu, g_ls = reparameterized_gradient(lambda z: z @ c, MU, LOG_SIGMA, eps)
    assert torch.allclose(g_mu, c.expand(7, 3))
    assert torch.allclose(g_ls, c * LOG_SIGMA.exp() * eps)


def test_score_function_of_a_constant_is_the_score_times_the_constant():
    eps = _eps(5)
    g_mu, g_ls = score_function_gradient(lambda z: torch.full((len(z),), 2.0, dtype=z.dtype), MU, LOG_SIGMA, eps)
    assert torch.allclose(g_mu, 2 * eps / LOG_SIGMA.exp()) and torch.allclose(g_ls, 2 * (eps ** 2 - 1))


def test_estimators_leave_the_parameters_alone():
    mu, log_sigma = MU.clone().requires_grad_(True), LOG_SIGMA.clone().requires_grad_(True)
    for estimator in (reparameterized_gradient, score_function_gradient):
        g_mu, _ = estimator(quadratic(A, B), mu, log_sigma, _eps(4))
        assert not g_mu.requires_grad
    assert mu.grad is None and log_sigma.grad is None
