"""Wasserstein and hinge losses and the gradient penalty against closed forms."""

import torch

from genlab.objectives.gan import (
    critic_generator_loss,
    gradient_penalty,
    hinge_discriminator_loss,
    wasserstein_critic_loss,
)


def test_wasserstein_and_hinge_values():
    real, fake = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-2.0, 0.0, 3.0])
    assert torch.isclose(wasserstein_critic_loss(real, fake), fake.mean() - real.mean())
    # hinge: relu(1 - real) = [0, 0.5, 2], relu(1 + fake) = [0, 1, 4]
    assert torch.isclose(hinge_discriminator_loss(real, fake), torch.tensor(2.5 / 3 + 5 / 3))
    assert torch.isclose(critic_generator_loss(fake), -fake.mean())


def test_gradient_penalty_of_a_linear_critic_is_its_slope_minus_one_squared():
    """D(x) = <w, x> + b has gradient w everywhere: the penalty is (||w|| - 1)^2 whatever the samples."""
    w = torch.tensor([2.0, -2.0, 1.0])                           # ||w|| = 3
    critic = lambda x: x.flatten(1) @ w + 0.7
    real, fake = torch.randn(16, 3), torch.randn(16, 3)
    assert torch.isclose(gradient_penalty(critic, real, fake), torch.tensor(4.0))
    unit = lambda x: x.flatten(1) @ (w / 3)
    assert float(gradient_penalty(unit, real, fake)) < 1e-12


def test_gradient_penalty_of_a_quadratic_critic_matches_the_interpolates():
    """D(x) = ||x||^2 / 2 has gradient x: the penalty is the mean of (||x_hat|| - 1)^2 at the same e."""
    real, fake = torch.randn(8, 2, 3, 3), torch.randn(8, 2, 3, 3)
    got = gradient_penalty(lambda x: 0.5 * x.pow(2).flatten(1).sum(1), real, fake,
                           generator=torch.Generator().manual_seed(4))
    e = torch.rand((8, 1, 1, 1), generator=torch.Generator().manual_seed(4))
    x_hat = e * real + (1 - e) * fake
    assert torch.isclose(got, (x_hat.flatten(1).norm(dim=1) - 1).pow(2).mean())


def test_the_penalty_trains_the_critic():
    """Its gradient reaches D's weights (create_graph): a step on it moves a too-steep critic's slope to 1."""
    w = torch.tensor([3.0, 0.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.05)
    for _ in range(200):
        opt.zero_grad()
        gradient_penalty(lambda x: x @ w, torch.randn(32, 2), torch.randn(32, 2)).backward()
        opt.step()
    assert abs(float(w.detach().norm()) - 1) < 1e-3


def test_one_sided_penalty_charges_only_slopes_above_one():
    real, fake = torch.randn(16, 3), torch.randn(16, 3)
    steep = lambda x: x.flatten(1) @ torch.tensor([2.0, -2.0, 1.0])      # ||w|| = 3: both charge (3 - 1)^2
    assert torch.isclose(gradient_penalty(steep, real, fake, one_sided=True), torch.tensor(4.0))
    flat = lambda x: x.flatten(1) @ torch.tensor([0.2, 0.0, 0.0])        # ||w|| = 0.2: two-sided 0.64, one-sided 0
    assert torch.isclose(gradient_penalty(flat, real, fake), torch.tensor(0.64))
    assert float(gradient_penalty(flat, real, fake, one_sided=True)) == 0.0
