"""Likelihoods against torch.distributions, term bookkeeping, and unit conversion."""

import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal

from genlab.objectives.elbo import (
    bernoulli_log_likelihood,
    elbo_terms,
    gaussian_log_likelihood,
    importance_weighted_log_px,
    kl_to_standard_normal,
    nats_to_bits_per_dim,
    softplus_sum,
)


def test_bernoulli_log_likelihood_matches_torch_distributions_even_for_huge_logits():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 1, 5, 5, generator=g, dtype=torch.float64) * 4
    logits[0, 0, 0, :3] = torch.tensor([60.0, -60.0, 0.0], dtype=torch.float64)
    x = torch.bernoulli(torch.full_like(logits, 0.5), generator=g)
    expected = Bernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
    got = bernoulli_log_likelihood(logits, x)
    torch.testing.assert_close(got, expected)
    assert torch.isfinite(bernoulli_log_likelihood(torch.full((1, 3), 200.0), torch.zeros(1, 3))).all()


def test_softplus_sum_matches_float64_softplus_where_exp_overflows_and_where_it_underflows():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(3, 4, 784, generator=g) * 8
    logits[0, 1, :4] = torch.tensor([89.0, 500.0, -40.0, -200.0])   # exp overflows / underflows in float32
    logits[2, 3, 0] = 1e4
    expected = torch.nn.functional.softplus(logits.double()).sum(-1)
    got = softplus_sum(logits)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got.double(), expected, rtol=1e-6, atol=1e-3)
    leaf = logits.clone().requires_grad_()
    softplus_sum(leaf).sum().backward()                              # under autograd: differentiable
    torch.testing.assert_close(leaf.grad, torch.sigmoid(logits))


def test_many_sample_bernoulli_path_equals_the_one_sample_path():
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(5, 2, 1, 4, 4, generator=g) * 6
    x = torch.bernoulli(torch.full((2, 1, 4, 4), 0.5), generator=g)
    one_by_one = torch.stack([bernoulli_log_likelihood(logits[s], x) for s in range(5)])
    torch.testing.assert_close(bernoulli_log_likelihood(logits, x), one_by_one)


@pytest.mark.parametrize("kind", ["fixed", "global", "pixel"])
def test_gaussian_log_likelihood_matches_torch_distributions(kind):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 2, 4, 4, generator=g, dtype=torch.float64)
    mean = torch.rand(3, 2, 4, 4, generator=g, dtype=torch.float64)
    log_sigma = {"fixed": 0.0, "global": torch.tensor(-1.3, dtype=torch.float64),
                 "pixel": torch.randn(2, 4, 4, generator=g, dtype=torch.float64)}[kind]
    scale = torch.as_tensor(log_sigma, dtype=torch.float64).exp().expand_as(x)
    expected = Normal(mean, scale).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(gaussian_log_likelihood(x, mean, log_sigma), expected)


def test_elbo_terms_signs_and_beta():
    log_px_z = torch.tensor([-100.0, -50.0])
    kl = torch.tensor([3.0, 5.0])
    t = elbo_terms(log_px_z, kl, beta=2.0)
    torch.testing.assert_close(t.recon, torch.tensor([100.0, 50.0]))
    torch.testing.assert_close(t.elbo, torch.tensor([-103.0, -55.0]))   # the bound ignores beta
    torch.testing.assert_close(t.loss, torch.tensor([106.0, 60.0]))


def test_kl_is_zero_only_at_the_prior():
    assert kl_to_standard_normal(torch.zeros(1, 4), torch.zeros(1, 4)).item() == 0.0
    assert kl_to_standard_normal(torch.full((1, 4), 0.1), torch.zeros(1, 4)).item() > 0


def test_bits_per_dim():
    assert nats_to_bits_per_dim(784 * math.log(2), 784) == pytest.approx(1.0)


def test_importance_weighted_rejects_k_below_one():
    with pytest.raises(ValueError, match="k = 0"):
        importance_weighted_log_px(torch.zeros(1, 2), torch.zeros(1, 2), lambda z: z.sum(-1), k=0)


def test_likelihoods_broadcast_over_a_leading_sample_dim():
    g = torch.Generator().manual_seed(2)
    x = torch.rand(3, 1, 4, 4, generator=g)
    out = torch.randn(5, 3, 1, 4, 4, generator=g)
    log_sigma = torch.randn(1, 4, 4, generator=g)
    bern = bernoulli_log_likelihood(out, x)
    gauss = gaussian_log_likelihood(x, out, log_sigma)
    assert bern.shape == gauss.shape == (5, 3)
    for s in range(5):
        torch.testing.assert_close(bern[s], bernoulli_log_likelihood(out[s], x))
        torch.testing.assert_close(gauss[s], gaussian_log_likelihood(x, out[s], log_sigma))
