"""How far apart two domains are in a representation: the proxy A-distance.

Ben-David et al., "Analysis of Representations for Domain Adaptation" (NIPS 2007), used in Ganin et al.,
JMLR 2016, Sec. 5.2.4: train a classifier to tell source features from target features on one half of
the data, measure its error `err` on the other half, and report d_A = 2 (1 - 2 err). d_A = 2 when the
domains are perfectly separable, about 0 when the classifier does no better than chance (the
representation is domain-invariant); a value below 0 is chance-level noise.
"""

from __future__ import annotations

import numpy as np
import torch


def proxy_a_distance(source: torch.Tensor, target: torch.Tensor, *, seed: int = 0, c: float = 1.0) -> float:
    """d_A = 2 (1 - 2 err) of a linear classifier (L2 logistic regression on standardised features).

    source: (N_s, F), target: (N_t, F) features (any float dtype, any device). The larger domain is
    subsampled to the smaller one's size, so chance is err = 0.5 whatever the sizes. Each domain is
    split in half (seeded): the classifier is fitted on the first halves and `err` is its error on the
    second halves. Needs at least 4 items per domain.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    if source.dim() != 2 or target.dim() != 2 or source.shape[1] != target.shape[1]:
        raise ValueError(f"features must be (N, F) with the same F, got {tuple(source.shape)} and "
                         f"{tuple(target.shape)}")
    n = min(len(source), len(target))
    if n < 4:
        raise ValueError(f"proxy A-distance needs at least 4 items per domain, got {n}")
    rng = np.random.default_rng(seed)
    xs = source.detach().double().cpu().numpy()[rng.permutation(len(source))[:n]]
    xt = target.detach().double().cpu().numpy()[rng.permutation(len(target))[:n]]
    half = n // 2
    x_fit = np.concatenate([xs[:half], xt[:half]])
    x_test = np.concatenate([xs[half:], xt[half:]])
    y_fit = np.r_[np.zeros(half), np.ones(half)]
    y_test = np.r_[np.zeros(n - half), np.ones(n - half)]
    scaler = StandardScaler().fit(x_fit)
    clf = LogisticRegression(C=c, max_iter=2000).fit(scaler.transform(x_fit), y_fit)
    err = float(np.mean(clf.predict(scaler.transform(x_test)) != y_test))
    return 2.0 * (1.0 - 2.0 * err)
