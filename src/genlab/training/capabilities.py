"""What a trained task can do beyond training, declared by the families (each Task lists the ones it has
as base classes) and checked by the commands that need them; each capability has one return type.

`require(task, Sampler, "genlab sample")` gives the one-line error a user sees when a run lacks it.
"""

from __future__ import annotations

import numbers
from typing import Protocol, runtime_checkable

import torch

from genlab.errors import UsageError


@runtime_checkable
class Sampler(Protocol):
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples (n, *sample_shape): images in [0, 1] for image data, points for toy data."""


@runtime_checkable
class Reconstructor(Protocol):
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, H, W) in [0, 1] -> its reconstruction, same shape, in [0, 1]."""


@runtime_checkable
class Encoder(Protocol):
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, ...) in [0, 1] -> codes (B, latent_dim): the AE's code, the VAE's posterior mean."""

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """codes (B, latent_dim) -> mean images (B, ...) in [0, 1]."""


@runtime_checkable
class Posterior(Protocol):
    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x -> (mu, logvar) of the diagonal Gaussian q(z|x), each (B, latent_dim)."""


@runtime_checkable
class Likelihood(Protocol):
    def nll(self, x: torch.Tensor, *, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """-log p(x) per image (B,), nats, importance-weighted with k samples."""

    def nll_summary(self, split, *, take: int, k: int, device: torch.device,
                    generator: torch.Generator | None = None) -> dict:
        """{"nll", "nll_stderr", "nll_k", "nll_bits_per_dim"} over the first `take` items of a split."""


@runtime_checkable
class Classifier(Protocol):
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x -> features (B, F) of the label classifier."""

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """x -> class logits (B, num_classes)."""


def class_labels(task, klass: int | None, n: int, *, what: str) -> torch.Tensor | None:
    """(n,) labels all equal to `klass` for a class-conditional task, None when klass is None; UsageError
    when the task is not conditional or the class is out of range."""
    if klass is None:
        return None
    classes = getattr(task, "classes", 0)
    if not classes:
        raise UsageError(f"{what} --class needs a class-conditional run (train it with --conditional)")
    if isinstance(klass, bool) or not isinstance(klass, numbers.Integral):  # "3" or True: not a class number
        raise UsageError(f"{what} --class {klass!r}: a class number 0..{classes - 1}")
    klass = int(klass)
    if not 0 <= klass < classes:
        raise UsageError(f"{what} --class {klass}: this run's classes are 0..{classes - 1}")
    return torch.full((n,), klass, dtype=torch.long, device=task.device)


def require(task, capability: type, what: str, *, family: str) -> None:
    """UsageError naming the command and the family when `task` lacks `capability`."""
    if not isinstance(task, capability):
        raise UsageError(f"{what} needs a model that can {_VERBS[capability]}; a '{family}' run cannot")


_VERBS = {Sampler: "draw samples (ae, vae, gan, gan-1d)", Reconstructor: "reconstruct images (ae, vae)",
          Encoder: "encode images (ae, vae)", Posterior: "give a posterior q(z|x) (vae)",
          Likelihood: "estimate log p(x) (vae)", Classifier: "classify (dann)"}
