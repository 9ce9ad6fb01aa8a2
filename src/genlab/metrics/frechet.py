"""Frechet distance between Gaussians fitted to two feature sets (the "F" of FID).

Heusel et al. 2017, "GANs trained by a two time-scale update rule converge to a local Nash equilibrium",
eq. (6): d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2}).

This module is genlab's exact reference for Gaussians given by mean and covariance (torchmetrics has none):
float64 throughout, symmetric square roots by eigendecomposition (never a general `sqrtm` of the
non-symmetric product S1 S2), and the trace term as a sum of singular values (see `frechet_distance`).
`evaluate --fid` uses torchmetrics' FrechetInceptionDistance on the same features; the tests check that the
two agree.
"""

from __future__ import annotations

import torch

from genlab.errors import UsageError


def _as_f64(x) -> torch.Tensor:
    return torch.as_tensor(x).detach().to("cpu", torch.float64)


def psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a symmetric PSD matrix (D, D) via eigh; tiny negative eigenvalues from
    round-off are clipped to 0."""
    matrix = _as_f64(matrix)
    sym = 0.5 * (matrix + matrix.T)
    eigvals, eigvecs = torch.linalg.eigh(sym)
    return (eigvecs * eigvals.clamp(min=0).sqrt()) @ eigvecs.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """Squared Frechet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2).

    mu1, mu2: (D,); cov1, cov2: (D, D) symmetric PSD. Returns a float >= 0 (up to round-off).
    """
    mu1, mu2, cov1, cov2 = (_as_f64(t) for t in (mu1, mu2, cov1, cov2))
    d = len(mu1)
    if mu1.dim() != 1 or mu2.shape != mu1.shape or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise UsageError(f"frechet_distance: shapes do not fit: mean {tuple(mu1.shape)} / {tuple(mu2.shape)}, "
                         f"covariance {tuple(cov1.shape)} / {tuple(cov2.shape)}; accepted: (D,) and (D, D)")
    # Tr((S1 S2)^{1/2}) = nuclear norm of S1^{1/2} S2^{1/2}: (R1 R2)^T (R1 R2) = R2 S1 R2 has the spectrum of
    # S1 S2, so its singular values are the square roots we want -- with no sqrt of tiny, round-off-sized
    # eigenvalues (that sqrt turns 1e-16 errors into 1e-8 per dimension for near-singular ReLU features).
    trace_sqrt = torch.linalg.svdvals(psd_sqrt(cov1) @ psd_sqrt(cov2)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2.0 * trace_sqrt)


def gaussian_stats(features) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and unbiased covariance (D, D) of features (N, D), in float64. Needs N >= 2."""
    f = _as_f64(features)
    if f.dim() != 2 or len(f) < 2:
        raise UsageError(f"gaussian_stats: need features of shape (N >= 2, D), got {tuple(f.shape)}")
    mu = f.mean(dim=0)
    centred = f - mu
    return mu, centred.T @ centred / (len(f) - 1)


def frechet_distance_features(a, b) -> float:
    """Frechet distance between Gaussians fitted to feature sets a (N, D) and b (M, D)."""
    return frechet_distance(*gaussian_stats(a), *gaussian_stats(b))
