"""Reconstruction losses per image (summed over pixels), computed from decoder logits for stability."""

import torch
import torch.nn.functional as F


def bce_per_image(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log Bernoulli(x | sigmoid(logits)) summed over pixels: (B, ...) -> (B,), in nats.

    From logits via `binary_cross_entropy_with_logits` (log-sum-exp form), never through sigmoid then log.
    x may be fractional in [0, 1] (the usual continuous relaxation).
    """
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def squared_error_per_image(prediction: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Sum of squared errors over pixels: (B, ...) -> (B,)."""
    return (prediction - x).pow(2).flatten(1).sum(1)
