"""How far apart two domains are in a representation: the proxy A-distance.

Ben-David et al., "Analysis of Representations for Domain Adaptation" (NIPS 2007), used in Ganin et al.,
JMLR 2016, Sec. 5.2.4: train a classifier to tell source features from target features, measure its
error `err` on items it did not see (here by cross-validation), and report d_A = 2 (1 - 2 err). d_A = 2 when the
domains are perfectly separable, about 0 when the classifier does no better than chance (the
representation is domain-invariant); a value below 0 is chance-level noise.
"""

from __future__ import annotations

import numpy as np
import torch


def proxy_a_distance(source: torch.Tensor, target: torch.Tensor, *, seed: int = 0, c: float = 1.0,
                     folds: int = 5) -> float:
    """d_A = 2 (1 - 2 err) of a linear classifier (L2 logistic regression on standardised features).

    source: (N_s, F), target: (N_t, F) features (any float dtype, any device). The larger domain is
    subsampled to the smaller one's size, so chance is err = 0.5 whatever the sizes. `err` is the
    `folds`-fold cross-validated error (folds stratified by domain, shuffled with `seed`): every item is
    classified once by a classifier that never saw it, so the estimate uses all the items, not half of them
    (on 150 points per domain a single half split moved d_A by +-0.4 between seeds). Needs at least
    `folds` items per domain.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if source.dim() != 2 or target.dim() != 2 or source.shape[1] != target.shape[1]:
        raise ValueError(f"features must be (N, F) with the same F, got {tuple(source.shape)} and "
                         f"{tuple(target.shape)}")
    n = min(len(source), len(target))
    if n < max(folds, 4):
        raise ValueError(f"proxy A-distance needs at least {max(folds, 4)} items per domain, got {n}")
    rng = np.random.default_rng(seed)
    xs = source.detach().double().cpu().numpy()[rng.permutation(len(source))[:n]]
    xt = target.detach().double().cpu().numpy()[rng.permutation(len(target))[:n]]
    x, y = np.concatenate([xs, xt]), np.r_[np.zeros(n), np.ones(n)]
    classifier = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    err = float(np.mean(cross_val_predict(classifier, x, y, cv=split) != y))
    return 2.0 * (1.0 - 2.0 * err)


def units_alive(pre_activations: torch.Tensor) -> int:
    """How many of a ReLU layer's units fire on at least one item: pre_activations (N, U) -> a count in [0, U].

    A unit whose pre-activation is <= 0 on every item outputs 0 and passes no gradient: it is dead and training
    cannot revive it. A head that lost most of its units can be fooled by features it would otherwise tell apart.
    """
    if pre_activations.dim() != 2 or len(pre_activations) == 0:
        raise ValueError(f"pre-activations must be (N, U) with N >= 1, got {tuple(pre_activations.shape)}")
    return int((pre_activations > 0).any(0).sum())


def accuracy_by_quantile(correct: torch.Tensor, score: torch.Tensor, *, bins: int = 4
                         ) -> tuple[list[float], list[float]]:
    """Accuracy within each `bins`-quantile of `score`: (the bins - 1 inner edges, the bins accuracies).

    correct: (N,) bool or 0/1, whether each item was classified right; score: (N,) what the items are ranked
    by (a target image's mean brightness, say). Bin b holds the items with edge[b-1] < score <= edge[b]
    (torch.bucketize), so ties at an edge fall in the lower bin; an empty bin's accuracy is NaN.
    """
    if correct.dim() != 1 or correct.shape != score.shape:
        raise ValueError(f"correct and score must be (N,) of one length, got {tuple(correct.shape)} and "
                         f"{tuple(score.shape)}")
    if bins < 1 or len(score) < bins:
        raise ValueError(f"accuracy_by_quantile needs 1 <= bins <= N, got bins {bins} for N {len(score)}")
    score = score.detach().double().cpu()
    correct = correct.detach().double().cpu()
    edges = torch.quantile(score, torch.arange(1, bins, dtype=torch.float64) / bins)
    which = torch.bucketize(score, edges)
    accs = [float(correct[which == b].mean()) if bool((which == b).any()) else float("nan") for b in range(bins)]
    return [float(e) for e in edges], accs
