"""The proxy A-distance d_A = 2 (1 - 2 err) (Ben-David et al. 2007) against cases with known answers."""

import math

import pytest
import torch

from genlab.metrics.domain import proxy_a_distance


def _normal(n, dim, *, shift=0.0, seed=0):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) + shift


def test_separable_domains_give_two():
    assert proxy_a_distance(_normal(200, 3), _normal(200, 3, shift=10.0, seed=1)) == 2.0


def test_one_distribution_gives_about_zero():
    d_a = proxy_a_distance(_normal(2000, 4), _normal(2000, 4, seed=1))
    assert abs(d_a) < 0.25  # chance: err ~ 0.5 +- 0.011, so d_A ~ 0 +- 0.045


def test_two_gaussians_match_the_bayes_error():
    """N(-m, 1) vs N(m, 1) in 1-D: the best classifier errs Phi(-m), so d_A -> 2 (1 - 2 Phi(-m))."""
    m = 0.5
    bayes_err = 0.5 * math.erfc(m / math.sqrt(2))  # Phi(-m) = 0.3085
    d_a = proxy_a_distance(_normal(4000, 1, shift=-m), _normal(4000, 1, shift=m, seed=1))
    assert d_a == pytest.approx(2 * (1 - 2 * bayes_err), abs=0.08)  # 0.766; test err std ~ 0.007


def test_unequal_sizes_are_balanced_and_seeded():
    a, b = _normal(500, 2), _normal(60, 2, shift=1.0, seed=1)
    assert proxy_a_distance(a, b, seed=3) == proxy_a_distance(a, b, seed=3)
    assert -2.0 <= proxy_a_distance(a, b) <= 2.0


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="same F"):
        proxy_a_distance(torch.zeros(10, 2), torch.zeros(10, 3))
    with pytest.raises(ValueError, match="at least 5"):
        proxy_a_distance(torch.zeros(3, 2), torch.zeros(10, 2))


def test_accuracy_by_quantile_counts_each_quarter_by_hand():
    from genlab.metrics.domain import accuracy_by_quantile

    score = torch.arange(8, dtype=torch.float32)           # quartiles {0, 1}, {2, 3}, {4, 5}, {6, 7}
    correct = torch.tensor([1, 1, 1, 0, 0, 0, 0, 1], dtype=torch.bool)
    edges, accs = accuracy_by_quantile(correct, score)
    assert edges == pytest.approx([1.75, 3.5, 5.25]) and accs == [1.0, 0.5, 0.0, 0.5]
    shuffled = torch.randperm(8, generator=torch.Generator().manual_seed(0))
    assert accuracy_by_quantile(correct[shuffled], score[shuffled]) == (edges, accs)  # order does not matter
    with pytest.raises(ValueError, match="one length"):
        accuracy_by_quantile(correct[:3], score)
    with pytest.raises(ValueError, match="bins"):
        accuracy_by_quantile(correct[:2], score[:2])


def test_units_alive_counts_the_units_that_fire_on_some_item():
    from genlab.metrics.domain import units_alive

    pre = torch.tensor([[1.0, -1.0, 0.0, -2.0],     # unit 0 fires here
                        [-1.0, -3.0, 0.0, 0.5]])   # unit 3 here; units 1 and 2 never (0 does not fire a ReLU)
    assert units_alive(pre) == 2
    assert units_alive(-pre.abs()) == 0 and units_alive(pre.abs() + 1) == 4
    with pytest.raises(ValueError, match=r"\(N, U\)"):
        units_alive(torch.zeros(4))
