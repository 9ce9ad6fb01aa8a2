"""Improved precision/recall (Kynkaanniemi et al. 2019) on sets with known answers."""

import pytest
import torch

from genlab.errors import UsageError
from genlab.metrics.precision_recall import knn_sq_radii, precision_recall


def test_a_set_against_itself_has_precision_and_recall_one():
    x = torch.randn(500, 16, generator=torch.Generator().manual_seed(0)) * 4
    assert precision_recall(x, x.clone(), k=3, chunk=128) == (1.0, 1.0)


def test_a_far_disjoint_cluster_has_precision_and_recall_zero():
    gen = torch.Generator().manual_seed(1)
    real = torch.randn(300, 8, generator=gen)
    fake = torch.randn(200, 8, generator=gen) + 100.0
    assert precision_recall(real, fake, k=3) == (0.0, 0.0)


def test_hand_computed_line():
    real = torch.arange(5.0)[:, None]                     # 0..4: 1-NN radius 1 everywhere
    fake = torch.tensor([[0.5], [10.0]])                  # one inside, one outside; each other's 1-NN is 9.5 away
    assert knn_sq_radii(real, k=1).tolist() == [1.0] * 5
    assert knn_sq_radii(real, k=3).tolist() == [9.0, 4.0, 4.0, 4.0, 9.0]
    precision, recall = precision_recall(real, fake, k=1)
    assert precision == 0.5
    assert recall == 1.0                                  # every real point lies within 9.5 of 0.5


def test_mode_dropping_lowers_recall_not_precision():
    gen = torch.Generator().manual_seed(2)
    centres = torch.tensor([[0.0, 0.0], [50.0, 0.0]])
    real = torch.cat([torch.randn(200, 2, generator=gen) + c for c in centres])
    fake = torch.randn(200, 2, generator=gen) + centres[0]   # only one of the two modes
    precision, recall = precision_recall(real, fake, k=3)
    assert precision > 0.95
    assert 0.4 < recall < 0.55


def test_too_few_points_is_a_usage_error():
    with pytest.raises(UsageError, match="more than 3"):
        precision_recall(torch.zeros(3, 2), torch.zeros(10, 2), k=3)
