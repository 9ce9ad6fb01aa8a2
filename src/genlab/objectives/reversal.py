"""The gradient reversal layer and Ganin's adaptation schedule for its weight lambda.

Ganin et al., "Domain-Adversarial Training of Neural Networks", JMLR 17 (2016), Sec. 5.1 and eq. (13)-(14):
a pseudo-function R_lambda with R(x) = x in the forward pass and dR/dx = -lambda I in the backward pass.
Put between the feature extractor and the domain classifier, one ordinary backward pass makes the domain
classifier *minimise* its loss while the features *maximise* it (the lecture's "increase the loss on
nuisance directions"): the min-max saddle point of eq. (10) found by plain SGD.
"""

from __future__ import annotations

import math

import torch

from genlab.config.dann import GANIN_GAMMA  # declared once, with the option it defaults


class GradientReversal(torch.autograd.Function):
    """Identity forward, gradient times -lambda backward (lambda is a Python float, not learned)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, lambda_: float) -> torch.Tensor:
        ctx.lambda_ = lambda_
        # view_as, not x itself: autograd needs a new tensor node to attach this backward to
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        return grad_output.neg() * ctx.lambda_, None  # no gradient for lambda_


def grad_reverse(x: torch.Tensor, lambda_: float) -> torch.Tensor:
    """R_lambda(x): returns x unchanged (same values, shape and dtype); backward multiplies by -lambda_.

    x: any shape. lambda_: a float >= 0 (0 blocks the gradient: the features ignore the domain loss).
    """
    lambda_ = float(lambda_)
    if not math.isfinite(lambda_) or lambda_ < 0:
        raise ValueError(f"gradient reversal weight must be a finite number >= 0, got {lambda_}")
    return GradientReversal.apply(x, lambda_)


def ganin_lambda(progress: float, *, gamma: float = GANIN_GAMMA) -> float:
    """Ganin et al. 2016, Sec. 5.2.2: lambda_p = 2 / (1 + exp(-gamma p)) - 1, p in [0, 1] the training progress.

    Rises from 0 at p = 0 to 1 - 2 / (1 + e^gamma) (0.99991 for gamma = 10) at p = 1, so the domain
    classifier's noisy early gradients do not disturb the features while both are still random.
    Written as tanh(gamma p / 2), the same number, which never overflows for large gamma p.
    """
    if not 0.0 <= progress <= 1.0:
        raise ValueError(f"training progress p must be in [0, 1], got {progress}")
    if not gamma >= 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    return math.tanh(gamma * progress / 2.0)
