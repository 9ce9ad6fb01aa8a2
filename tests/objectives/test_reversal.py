"""The gradient reversal layer and Ganin's lambda schedule, against their definitions (Ganin et al. 2016,
eq. (13)-(14) and Sec. 5.2.2)."""

import itertools
import math

import pytest
import torch

from genlab.objectives.reversal import GANIN_GAMMA, ganin_lambda, grad_reverse


def _randn(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_forward_is_exact_identity(dtype):
    x = _randn(4, 3, 5, dtype=dtype).requires_grad_()
    y = grad_reverse(x, 0.37)
    assert torch.equal(y, x)
    assert y.dtype == x.dtype and y.shape == x.shape


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0, 6.0])
def test_gradient_is_exactly_minus_lambda_times_incoming(lam):
    x = _randn(8, 5).requires_grad_()
    g = _randn(8, 5, seed=1)
    grad_reverse(x, lam).backward(g)
    assert torch.equal(x.grad, -(lam * g))


def test_reversal_inside_a_graph_flips_only_what_passes_through_it():
    """d/dx [f(R(x)) + h(x)] = -lambda f'(x) + h'(x): the features' share of the domain loss is reversed,
    the label loss's share is not."""
    x = _randn(6, 4).requires_grad_()
    w = _randn(4, 1, seed=2)

    def f(t):
        return torch.sin(t @ w).sum()

    def h(t):
        return (t ** 2).sum()

    (f_grad,) = torch.autograd.grad(f(x), x)
    (h_grad,) = torch.autograd.grad(h(x), x)
    lam = 0.75
    (both,) = torch.autograd.grad(f(grad_reverse(x, lam)) + h(x), x)
    torch.testing.assert_close(both, -lam * f_grad + h_grad, rtol=0, atol=1e-6)
    # the reversed layer's parameters (w) still descend their own loss: their gradient is unchanged
    w.requires_grad_()
    (w_plain,) = torch.autograd.grad(f(x.detach()), w)
    (w_rev,) = torch.autograd.grad(f(grad_reverse(x.detach(), lam)), w)
    assert torch.equal(w_plain, w_rev)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_bad_lambda_is_refused(bad):
    with pytest.raises(ValueError, match="gradient reversal"):
        grad_reverse(torch.zeros(2), bad)


def test_schedule_endpoints_and_formula():
    assert ganin_lambda(0.0) == 0.0
    assert ganin_lambda(1.0) == pytest.approx(1 - 2 / (1 + math.exp(GANIN_GAMMA)), rel=1e-15)
    assert 0.9999 < ganin_lambda(1.0) < 1.0
    for p in (0.01, 0.1, 0.25, 0.5, 0.9):
        assert ganin_lambda(p) == pytest.approx(2 / (1 + math.exp(-10 * p)) - 1, rel=1e-12)
    assert ganin_lambda(0.3, gamma=2.0) == pytest.approx(2 / (1 + math.exp(-0.6)) - 1, rel=1e-12)
    assert ganin_lambda(0.7, gamma=0.0) == 0.0


def test_schedule_is_strictly_increasing():
    values = [ganin_lambda(i / 200) for i in range(201)]
    assert all(b > a for a, b in itertools.pairwise(values))


@pytest.mark.parametrize("p", [-0.01, 1.01])
def test_schedule_refuses_progress_outside_unit_interval(p):
    with pytest.raises(ValueError, match="progress"):
        ganin_lambda(p)
