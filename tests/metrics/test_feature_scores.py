"""KID and the Inception-style score (torchmetrics on precomputed features) against exact answers."""

import math

import pytest
import torch

from genlab.metrics.feature_scores import inception_score, kid


def _poly_kernel(a, b):
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def _mmd2_unbiased(x, y):
    """Binkowski et al. 2018, eq. (2), written out independently: off-diagonal means of k_xx and k_yy."""
    m, n = len(x), len(y)
    kxx, kyy, kxy = _poly_kernel(x, x), _poly_kernel(y, y), _poly_kernel(x, y)
    return ((kxx.sum() - kxx.diag().sum()) / (m * (m - 1)) + (kyy.sum() - kyy.diag().sum()) / (n * (n - 1))
            - 2 * kxy.mean())


def _mmd2_biased(x, y):
    return _poly_kernel(x, x).mean() + _poly_kernel(y, y).mean() - 2 * _poly_kernel(x, y).mean()


def test_kid_on_a_whole_set_is_the_unbiased_mmd():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(30, 4, generator=gen, dtype=torch.float64)
    y = torch.randn(30, 4, generator=gen, dtype=torch.float64) + 0.3
    mean, std = kid(x, y, subsets=3, subset_size=30)    # each subset is the whole set, reordered
    assert mean == pytest.approx(float(_mmd2_unbiased(x, y)), rel=1e-9)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_kid_is_unbiased_for_one_distribution():
    # Many independent pairs of small samples from one distribution: the mean estimate is 0 within 3 standard
    # errors, while the biased (V-statistic) estimate on the same pairs is far from 0 -- so the test has power.
    gen = torch.Generator().manual_seed(1)
    ours, biased = [], []
    for _ in range(30):
        x, y = torch.randn(2, 40, 6, generator=gen, dtype=torch.float64)
        ours.append(kid(x, y, subsets=1, subset_size=40)[0])
        biased.append(float(_mmd2_biased(x, y)))
    ours, biased = torch.tensor(ours), torch.tensor(biased)
    stderr = ours.std() / math.sqrt(len(ours))
    assert abs(ours.mean()) < 3 * stderr
    assert biased.mean() > 10 * stderr


def test_kid_within_its_std_for_one_distribution_and_far_for_two():
    gen = torch.Generator().manual_seed(2)
    x, y = torch.randn(2, 600, 8, generator=gen)
    mean, std = kid(x, y, subsets=30, subset_size=150, seed=0)
    assert abs(mean) < 2 * std
    shifted_mean, shifted_std = kid(x, y + 0.5, subsets=30, subset_size=150, seed=0)
    assert shifted_mean > 5 * shifted_std
    assert kid(x, y, subsets=30, subset_size=150, seed=0) == (mean, std)  # seeded: repeatable


def test_inception_score_closed_forms():
    k = 10
    certain = 100.0 * torch.eye(k).repeat(20, 1)            # each item sure of its class, classes used equally
    assert inception_score(certain, splits=1)[0] == pytest.approx(k, abs=1e-6)
    same = torch.randn(1, k).repeat(200, 1)                 # every item has one and the same p(y|x)
    assert inception_score(same, splits=1)[0] == pytest.approx(1.0, abs=1e-6)
    logits = torch.randn(300, k, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    p = logits.softmax(1)
    exact = torch.exp((p * (p.log() - p.mean(0, keepdim=True).log())).sum(1).mean())  # exp E KL(p(y|x)||p(y))
    assert inception_score(logits, splits=1)[0] == pytest.approx(float(exact), rel=1e-9)
    mean, std = inception_score(logits, splits=5)
    assert 1.0 < mean < k and std > 0
