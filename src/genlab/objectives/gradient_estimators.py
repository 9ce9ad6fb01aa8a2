"""Two Monte Carlo estimators of the gradient of an expectation under a Gaussian, as pure tensor functions.

    grad_{mu, log sigma} E_{z ~ N(mu, diag sigma^2)}[f(z)]

- reparameterized (Kingma & Welling 2013, sec. 2.4; the lecture's "reparameterization" slide): write
  z = g(eps) = mu + sigma * eps with eps ~ N(0, I) independent of the parameters, so the gradient moves inside
  the expectation: E_eps[f'(z)] for mu and E_eps[f'(z) * sigma * eps] for log sigma. Needs f differentiable.
- score function (REINFORCE; Williams 1992): E_q[f(z) grad log q(z)], with grad_mu log q = eps / sigma and
  grad_{log sigma} log q = eps^2 - 1. Needs only values of f, and has far higher variance.

Both take the standard-normal draws `eps` explicitly (S, d), so the two can be compared on the same samples,
and return one estimate per sample, (S, d) each for mu and log sigma: their mean is the estimate, their
spread its variance. The closed form that tests them: E[sum_j (a_j z_j + b_j)^2] = sum_j (a_j mu_j + b_j)^2
+ a_j^2 sigma_j^2.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def reparameterized_gradient(f: Callable[[torch.Tensor], torch.Tensor], mu: torch.Tensor, log_sigma: torch.Tensor,
                             eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample reparameterized estimates: (f'(z), f'(z) * sigma * eps), each (S, d), z = mu + sigma * eps.

    mu, log_sigma: (d,); eps: (S, d) draws of N(0, I); f: (S, d) -> (S,), one value per sample, differentiable
    (each sample's value may depend only on its own z, so the gradient of the sum is each sample's f'(z)).
    """
    sigma = log_sigma.detach().exp()
    z = (mu.detach() + sigma * eps).requires_grad_(True)
    with torch.enable_grad():
        (grad_z,) = torch.autograd.grad(f(z).sum(), z)
    return grad_z, grad_z * sigma * eps


@torch.no_grad()
def score_function_gradient(f: Callable[[torch.Tensor], torch.Tensor], mu: torch.Tensor, log_sigma: torch.Tensor,
                            eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample score-function estimates: (f(z) eps / sigma, f(z) (eps^2 - 1)), each (S, d).

    Same arguments as `reparameterized_gradient`; f is only evaluated, never differentiated.
    """
    sigma = log_sigma.exp()
    value = f(mu + sigma * eps)[:, None]                                  # (S, 1)
    return value * eps / sigma, value * (eps.pow(2) - 1)


def quadratic_expectation(a: torch.Tensor, b: torch.Tensor, mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """E_{z ~ N(mu, diag sigma^2)}[sum_j (a_j z_j + b_j)^2] = sum_j (a_j mu_j + b_j)^2 + a_j^2 sigma_j^2 (0-d)."""
    return ((a * mu + b).pow(2) + a.pow(2) * (2 * log_sigma).exp()).sum()


def quadratic_expectation_gradient(a: torch.Tensor, b: torch.Tensor, mu: torch.Tensor,
                                   log_sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The exact gradient of `quadratic_expectation`: (2 a (a mu + b), 2 a^2 sigma^2), each (d,)."""
    return 2 * a * (a * mu + b), 2 * a.pow(2) * (2 * log_sigma).exp()


def quadratic(a: torch.Tensor, b: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """f(z) = sum_j (a_j z_j + b_j)^2: (S, d) -> (S,)."""
    return lambda z: (a * z + b).pow(2).sum(-1)
