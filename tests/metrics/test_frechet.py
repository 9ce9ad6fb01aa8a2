"""Frechet distance against closed forms and an independent computation (scipy's general sqrtm)."""

import numpy as np
import pytest
import scipy.linalg
import torch

from genlab.errors import UsageError
from genlab.metrics.feature_scores import fid as torchmetrics_fid
from genlab.metrics.frechet import frechet_distance, frechet_distance_features, gaussian_stats


def _spd(dim: int, gen: torch.Generator) -> torch.Tensor:
    a = torch.randn(dim, dim, generator=gen, dtype=torch.float64)
    return a @ a.T + 0.1 * torch.eye(dim, dtype=torch.float64)


@pytest.mark.parametrize("dim", [1, 3, 6])
def test_diagonal_covariances_match_closed_form(dim):
    # Commuting covariances: d^2 = ||m1 - m2||^2 + sum_i (sqrt(s1_i) - sqrt(s2_i))^2.
    gen = torch.Generator().manual_seed(dim)
    m1, m2 = torch.randn(2, dim, generator=gen, dtype=torch.float64)
    s1, s2 = torch.rand(2, dim, generator=gen, dtype=torch.float64) * torch.tensor([[1.0], [3.0]]) + 0.1
    exact = float(((m1 - m2) ** 2).sum() + ((s1.sqrt() - s2.sqrt()) ** 2).sum())
    got = frechet_distance(m1, torch.diag(s1), m2, torch.diag(s2))
    assert got == pytest.approx(exact, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_general_spd_matches_scipy_sqrtm(seed):
    gen = torch.Generator().manual_seed(seed)
    dim = 5
    m1, m2 = torch.randn(2, dim, generator=gen, dtype=torch.float64)
    c1, c2 = _spd(dim, gen), _spd(dim, gen)
    a, b = c1.numpy(), c2.numpy()
    # independent route: sqrtm of the non-symmetric product S1 S2 (Schur method), as pytorch-fid does
    tr_sqrt = np.trace(scipy.linalg.sqrtm(a @ b)).real
    exact = float(((m1 - m2) ** 2).sum()) + np.trace(a) + np.trace(b) - 2 * tr_sqrt
    assert frechet_distance(m1, c1, m2, c2) == pytest.approx(exact, abs=1e-6)
    assert frechet_distance(m2, c2, m1, c1) == pytest.approx(exact, abs=1e-6)  # symmetric


def test_set_with_itself_is_zero_in_both_implementations():
    x = torch.randn(400, 16, generator=torch.Generator().manual_seed(0)) * 3 + 1
    assert abs(frechet_distance_features(x, x)) < 1e-6
    assert abs(torchmetrics_fid(x, x)) < 1e-6


def test_torchmetrics_fid_agrees_with_the_reference():
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(500, 12, generator=gen)
    b = torch.randn(300, 12, generator=gen) @ torch.randn(12, 12, generator=gen) * 0.5 + 0.3
    ref = frechet_distance_features(a, b)
    assert ref > 1.0
    assert torchmetrics_fid(a, b) == pytest.approx(ref, rel=1e-6)


def test_gaussian_stats_are_the_unbiased_moments():
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    mu, cov = gaussian_stats(x)
    assert torch.allclose(mu, x.mean(0))
    assert torch.allclose(cov, torch.cov(x.T))


def test_bad_shapes_are_usage_errors():
    with pytest.raises(UsageError, match="shapes"):
        frechet_distance(torch.zeros(3), torch.eye(3), torch.zeros(2), torch.eye(2))
    with pytest.raises(UsageError, match="N >= 2"):
        gaussian_stats(torch.zeros(1, 4))
