"""The Wasserstein-1 distance in one dimension, where it is exact: W1(P, Q) = int_0^1 |F_P^-1(u) - F_Q^-1(u)| du
(the quantile form; Villani 2009, or any optimal-transport text). The reference a WGAN critic's estimate is
checked against on the lecture's 1-D data.
"""

from __future__ import annotations

import math


def w1_normals(mean_a: float, std_a: float, mean_b: float, std_b: float) -> float:
    """W1(N(mean_a, std_a^2), N(mean_b, std_b^2)) in closed form: the quantiles differ by d + e Z with d = mean_a -
    mean_b, e = std_a - std_b, Z ~ N(0, 1), so W1 = E|d + e Z| = |e| sqrt(2/pi) exp(-d^2 / 2e^2) + d (1 - 2 Phi(-d/|e|))."""
    d, e = mean_a - mean_b, abs(std_a - std_b)
    if e == 0:
        return abs(d)
    phi = 0.5 * math.erfc(d / e / math.sqrt(2))  # Phi(-d / e)
    return e * math.sqrt(2 / math.pi) * math.exp(-0.5 * (d / e) ** 2) + d * (1 - 2 * phi)


def penalised_optimum(w1: float, gp_weight: float) -> float:
    """The gap E f(x) - E f(G(z)) of the best critic under the gradient penalty gp_weight (|f'| - 1)^2 when p_g is
    p_data shifted by w1 (so W1 = w1): the critic is linear with slope s, and w1 s - gp_weight (s - 1)^2 peaks at
    s = 1 + w1 / (2 gp_weight), a gap of w1 (1 + w1 / (2 gp_weight)), a little above W1 itself."""
    return w1 * (1 + w1 / (2 * gp_weight))


def w1_samples_to_normal(samples, mean: float, std: float) -> float:
    """W1 between the empirical distribution of 1-D `samples` and N(mean, std^2): the sorted samples against the
    normal's quantiles at the midpoints (i - 1/2)/n (float64; the midpoint rule's error is O(1/n), below the
    samples' own O(1/sqrt n) noise)."""
    import torch  # here, not at the top: the closed forms above serve the torch-free claim checks

    x = samples.detach().double().flatten().sort().values
    n = len(x)
    u = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    return float((x - (mean + std * torch.special.ndtri(u))).abs().mean())
