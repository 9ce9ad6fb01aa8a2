"""W1 in one dimension against its exact values."""

from __future__ import annotations

import math

import pytest
import torch

from genlab.metrics.wasserstein import w1_normals, w1_samples_to_normal


def _quantile_integral(m1, s1, m2, s2, n=200_000):
    u = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    z = torch.special.ndtri(u)
    return float(((m1 + s1 * z) - (m2 + s2 * z)).abs().mean())


@pytest.mark.parametrize("a,b", [((4, 0.5), (3, 0.5)), ((4, 0.5), (0, 1)), ((0, 1), (0.1, 2)), ((2, 0.3), (2, 0.7))])
def test_closed_form_matches_the_quantile_integral(a, b):
    assert w1_normals(*a, *b) == pytest.approx(_quantile_integral(*a, *b), rel=1e-4, abs=1e-6)


def test_closed_form_special_cases():
    assert w1_normals(4, 0.5, 3, 0.5) == 1.0                 # a shift: the distance moved
    assert w1_normals(0, 1, 0, 3) == pytest.approx(2 * math.sqrt(2 / math.pi))  # E|2 Z|
    assert w1_normals(1, 2, 5, 0.5) == pytest.approx(w1_normals(5, 0.5, 1, 2), rel=1e-12)  # symmetric


def test_samples_converge_to_the_exact_distance():
    gen = torch.Generator().manual_seed(0)
    x = 3.0 + 0.5 * torch.randn(100_000, generator=gen)
    assert w1_samples_to_normal(x, 4.0, 0.5) == pytest.approx(1.0, abs=0.01)
    assert w1_samples_to_normal(4.0 + 0.5 * torch.randn(100_000, generator=gen), 4.0, 0.5) < 0.01
    y = 0.5 * torch.randn(100_000, generator=gen)
    assert w1_samples_to_normal(y, 1.0, 2.0) == pytest.approx(w1_normals(0, 0.5, 1, 2), abs=0.02)
