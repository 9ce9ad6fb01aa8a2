"""FID, KID and Inception Score on features that are already computed, through torchmetrics.

torchmetrics takes a custom feature extractor (`feature=` an nn.Module); we hand it an identity module and
pass features in, so one forward pass of the feature net feeds every metric (FID, KID, IS, precision/recall)
instead of one pass per metric. Nothing here needs torch-fidelity or a download.

- FID: Heusel et al. 2017 (eq. 6); torchmetrics accumulates float64 moments.
- KID: Binkowski et al. 2018, "Demystifying MMD GANs": the unbiased MMD^2 estimate with the cubic polynomial
  kernel k(x, y) = (x.y / D + 1)^3, averaged over random subsets (std over subsets reported).
- IS: Salimans et al. 2016: exp(E_x KL(p(y|x) || p(y))), mean and std over splits.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from genlab.errors import UsageError


class GivenFeatures(nn.Module):
    """torchmetrics' feature-extractor slot for features computed elsewhere: (N, D) in, (N, D) out."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features   # torchmetrics reads this instead of probing with a dummy image

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def _f64(x: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(x).detach().to("cpu", torch.float64)


def _cpu_pair(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Both on the CPU in one floating dtype (float32 stays float32)."""
    a, b = torch.as_tensor(a).detach().cpu(), torch.as_tensor(b).detach().cpu()
    dtype = torch.promote_types(torch.promote_types(a.dtype, b.dtype), torch.float32)
    return a.to(dtype), b.to(dtype)


def fid(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted to real (N, D) and fake (M, D) features (N, M >= 2)."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    real, fake = _f64(real), _f64(fake)
    metric = FrechetInceptionDistance(feature=GivenFeatures(real.shape[1])).set_dtype(torch.float64)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    return float(metric.compute())


def kid(real: torch.Tensor, fake: torch.Tensor, *, subsets: int = 100, subset_size: int = 1000,
        seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance: (mean, std) over `subsets` random subsets of min(subset_size, N, M) items.

    real: (N, D), fake: (M, D), computed in their dtype: float32 is twice as fast as float64 on a CPU, and on
    Fashion-MNIST feature-net features the two agreed to 1e-6 (kid_std there: 1.6). Unbiased, so it can be
    slightly negative when both come from one distribution.
    The subsets are drawn from torch's global RNG inside torchmetrics; `seed` fixes them without disturbing
    the caller's RNG state.
    """
    from torchmetrics.image.kid import KernelInceptionDistance

    real, fake = _cpu_pair(real, fake)
    size = min(subset_size, len(real), len(fake))
    if size < 2:
        raise UsageError(f"KID needs at least 2 items on each side, got {len(real)} real and {len(fake)} fake")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
        metric = KernelInceptionDistance(feature=GivenFeatures(real.shape[1]), subsets=subsets,
                                         subset_size=size)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return float(mean), float(std)


def inception_score(logits: torch.Tensor, *, splits: int = 10, seed: int = 0) -> tuple[float, float]:
    """Inception-style score of classifier logits (N, K): (mean, std) over `splits` random splits.

    In [1, K]: 1 when every item gets the same class distribution, K when each item is classified with
    certainty and the classes are used equally. With one split the std is reported as 0.
    """
    from torchmetrics.image.inception import InceptionScore

    logits = _f64(logits)
    if not 1 <= splits <= len(logits):
        raise UsageError(f"inception score: splits {splits} must be between 1 and the {len(logits)} items")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
        metric = InceptionScore(feature=GivenFeatures(logits.shape[1]), splits=splits)
    metric.update(logits)
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*std\\(\\): degrees of freedom.*")
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return float(mean), (0.0 if splits == 1 else float(std))
