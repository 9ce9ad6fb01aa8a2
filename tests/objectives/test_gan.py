"""The GAN losses against naive probability formulas and the exact 1-D answers of Goodfellow et al. 2014."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from genlab.errors import UsageError
from genlab.objectives import gan

LOG4 = math.log(4)


def _naive_d(real_logits, fake_logits):
    d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    return -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())


def test_losses_match_the_probability_formulas_on_moderate_logits():
    gen = torch.Generator().manual_seed(0)
    real, fake = torch.randn(257, generator=gen, dtype=torch.float64) * 3, torch.randn(131, generator=gen,
                                                                                        dtype=torch.float64) * 3
    d_fake = torch.sigmoid(fake)
    torch.testing.assert_close(gan.discriminator_loss(real, fake), _naive_d(real, fake))
    torch.testing.assert_close(gan.generator_loss_minimax(fake), torch.log(1 - d_fake).mean())
    torch.testing.assert_close(gan.generator_loss_non_saturating(fake), -torch.log(d_fake).mean())
    torch.testing.assert_close(gan.generator_loss("minimax", fake, reduction="none"), torch.log(1 - d_fake))
    # E_G = -E_D: the min-max generator loss is -E_D minus the term G cannot change
    torch.testing.assert_close(gan.generator_loss_minimax(fake), -gan.discriminator_loss(real, fake)
                               - torch.log(torch.sigmoid(real)).mean())
    # and the D loss is exactly BCE with labels 1 (real) and 0 (fake)
    bce = torch.nn.functional.binary_cross_entropy
    torch.testing.assert_close(gan.discriminator_loss(real, fake),
                               bce(torch.sigmoid(real), torch.ones_like(real)) + bce(d_fake, torch.zeros_like(fake)))


def test_losses_and_gradients_stay_finite_at_logits_of_plus_minus_100():
    logits = torch.tensor([-100.0, 100.0], requires_grad=True)
    values = [gan.discriminator_loss(logits, logits), gan.generator_loss_minimax(logits),
              gan.generator_loss_non_saturating(logits)]
    for v in values:
        (g,) = torch.autograd.grad(v, logits)
        assert torch.isfinite(v) and torch.isfinite(g).all()
    # exact values: D(x)=sigmoid(-100) for a real sample costs 100 nats; the naive formula gives inf
    assert gan.discriminator_loss(torch.tensor([-100.0]), torch.tensor([-100.0])).item() == pytest.approx(100.0)
    assert gan.generator_loss_non_saturating(torch.tensor([-100.0])).item() == pytest.approx(100.0)
    assert not torch.isfinite(-torch.log(torch.sigmoid(torch.tensor(-200.0))))  # why logits: the naive way fails


def test_minimax_gradient_saturates_where_non_saturating_does_not():
    """d/dl of E[log(1 - sigmoid(l))] is -sigmoid(l) -> 0 when D rejects (l -> -inf); the NS loss keeps -1."""
    logits = torch.tensor([-12.0], requires_grad=True)
    (g_mm,) = torch.autograd.grad(gan.generator_loss_minimax(logits), logits)
    (g_ns,) = torch.autograd.grad(gan.generator_loss_non_saturating(logits), logits)
    assert abs(g_mm.item()) == pytest.approx(torch.sigmoid(torch.tensor(-12.0)).item(), rel=1e-5)
    assert abs(g_mm.item()) < 1e-5 and abs(g_ns.item()) > 0.999


def test_unknown_loss_and_reduction_are_usage_errors():
    with pytest.raises(UsageError, match="wasserstein"):
        gan.generator_loss("wasserstein", torch.zeros(3))
    with pytest.raises(UsageError, match="sum"):
        gan.generator_loss_minimax(torch.zeros(3), reduction="sum")


GRID = torch.linspace(-12, 16, 40001, dtype=torch.float64)


def _jsd_quad(p, q):
    """JSD by scipy's adaptive quadrature, independent of the trapezoid code under test."""
    def f(x):
        a, b = p.pdf(x), q.pdf(x)
        m = (a + b) / 2
        return 0.5 * (a * (np.log(a / m) if a > 0 else 0) + b * (np.log(b / m) if b > 0 else 0))
    return integrate.quad(f, -12, 16, points=[p.mean(), q.mean()], limit=200)[0]


@pytest.mark.parametrize("mu_g,sd_g", [(3.5, 0.8), (2.0, 0.5), (4.0, 1.5), (9.0, 0.7)])
def test_value_at_optimum_is_minus_log4_plus_twice_jsd(mu_g, sd_g):
    """Thm. 1: V(D*, G) = -log 4 + 2 JSD(p_data || p_g), here within 1e-2 (in fact ~1e-8)."""
    p_data, p_g = gan.gaussian_density(GRID, 4.0, 0.5), gan.gaussian_density(GRID, mu_g, sd_g)
    v = gan.value_at_optimum(p_data, p_g, GRID).item()
    jsd = _jsd_quad(stats.norm(4.0, 0.5), stats.norm(mu_g, sd_g))
    assert v == pytest.approx(-LOG4 + 2 * jsd, abs=1e-2)
    assert v == pytest.approx(-LOG4 + 2 * gan.jensen_shannon(p_data, p_g, GRID).item(), abs=1e-8)
    assert 0 <= jsd <= math.log(2) + 1e-9
    # D* maximises V(., G): any other D on the grid does worse
    for other in (torch.full_like(GRID, 0.5), gan.optimal_discriminator(p_data, p_g) ** 1.3):
        assert gan.value_function(other, p_data, p_g, GRID).item() < v


def test_losses_on_large_samples_agree_with_the_integrals_within_monte_carlo_error():
    """At D* (logit = log p_data - log p_g, exact), sample means of the losses match their integrals."""
    n, gen = 400_000, torch.Generator().manual_seed(1)
    x_data = 4.0 + 0.5 * torch.randn(n, generator=gen, dtype=torch.float64)
    x_g = 3.5 + 0.8 * torch.randn(n, generator=gen, dtype=torch.float64)

    def logit(x):
        return torch.log(gan.gaussian_density(x, 4.0, 0.5)) - torch.log(gan.gaussian_density(x, 3.5, 0.8))

    p_data, p_g = gan.gaussian_density(GRID, 4.0, 0.5), gan.gaussian_density(GRID, 3.5, 0.8)
    d_star = gan.optimal_discriminator(p_data, p_g)
    real_terms = -torch.nn.functional.softplus(-logit(x_data))  # log D*(x) on data
    fake_terms = gan.generator_loss_minimax(logit(x_g), reduction="none")  # log(1 - D*(G(z)))
    se = math.sqrt(real_terms.var().item() / n + fake_terms.var().item() / n)
    v_mc = gan.value_from_logits(logit(x_data), logit(x_g)).item()
    assert v_mc == pytest.approx(gan.value_at_optimum(p_data, p_g, GRID).item(), abs=4 * se)
    ns_exact = -torch.trapezoid(torch.special.xlogy(p_g, d_star), GRID).item()
    ns = gan.generator_loss_non_saturating(logit(x_g), reduction="none")
    assert ns.mean().item() == pytest.approx(ns_exact, abs=4 * ns.std().item() / math.sqrt(n))
    assert se < 2e-3  # the check is tight enough to mean something


def test_equal_densities_give_one_half_everywhere_and_minus_log4():
    p = (gan.gaussian_density(GRID, 4.0, 0.5) + 0.3 * gan.gaussian_density(GRID, 7.0, 1.0)) / 1.3
    d_star = gan.optimal_discriminator(p, p.clone())
    assert torch.equal(d_star, torch.full_like(GRID, 0.5))
    assert gan.value_at_optimum(p, p, GRID).item() == pytest.approx(-LOG4, abs=1e-6)
    assert gan.jensen_shannon(p, p, GRID).item() == pytest.approx(0.0, abs=1e-12)


def test_disjoint_supports_give_jsd_log2_and_value_zero():
    u1 = ((GRID >= 0) & (GRID < 1)).double()
    u2 = ((GRID >= 2) & (GRID < 3)).double()
    assert gan.jensen_shannon(u1, u2, GRID).item() == pytest.approx(math.log(2), abs=1e-3)
    assert gan.value_at_optimum(u1, u2, GRID).item() == pytest.approx(0.0, abs=1e-9)


def test_auxiliary_class_loss_is_the_mean_negative_log_probability_of_the_labels():
    """AC-GAN's class term by hand: -mean log softmax(logits)[y]; log(classes) for logits that say nothing."""
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]], dtype=torch.float64)
    labels = torch.tensor([0, 1])
    by_hand = -(math.log(math.exp(2) / (math.exp(2) + 1 + math.exp(-1)))
                + math.log(math.exp(0.5) / (2 * math.exp(0.5) + math.exp(3)))) / 2
    assert float(gan.auxiliary_class_loss(logits, labels)) == pytest.approx(by_hand, rel=1e-12)
    flat = torch.zeros(4, 10, dtype=torch.float64)
    assert float(gan.auxiliary_class_loss(flat, torch.tensor([0, 3, 9, 9]))) == pytest.approx(math.log(10))
