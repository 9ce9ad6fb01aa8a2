"""Class-conditional wrappers: the label as an input of a net that was built for one more input.

- `LabelledInput(net, classes, images=...)`: net(x ⊕ one-hot(y)). For an encoder or discriminator that flattens
  its input (MLP) the one-hot is appended to the flattened image; for a conv net it enters as `classes`
  constant channels (Mirza & Osindero 2014; the conditional VAE of Sohn et al. 2015).
- `LabelledLatent(net, classes)`: net(z ⊕ one-hot(y)), for a decoder or generator built for d + classes inputs.
- `code_classifier(latent_dim, classes)`: z (B, d) -> class logits (B, classes), the adversary a conditional
  VAE's encoder is trained against (--label-adversary) so that z carries no class.
- `ProjectionDiscriminator(d, classes)`: D(x, y) = head(phi(x)) + <embed(y), phi(x)> (Miyato & Koyama 2018),
  for a discriminator with `features(x)` -> phi (B, F) and `head(phi)` -> logits (B,); with `classify=True` it
  also has a class head on phi (the auxiliary classifier of AC-GANs, Odena et al. 2017).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genlab.errors import UsageError


def classes_of(num_classes: int | None) -> int:
    """The number of classes a conditional model is built for; UsageError for unlabelled data."""
    if not num_classes:
        raise UsageError("--conditional needs a labelled dataset (its labels are the classes); this one has none")
    return num_classes


def balanced_labels(n: int, classes: int, device) -> torch.Tensor:
    """(n,) labels 0, 1, ..., classes - 1, 0, 1, ...: every class in turn (a grid with rows of `classes`
    images shows one class per column)."""
    return torch.arange(n, device=device) % classes


def one_hot(labels: torch.Tensor, classes: int, like: torch.Tensor) -> torch.Tensor:
    """labels (B,) int -> (B, classes) in the dtype and on the device of `like`; ValueError when out of range."""
    if labels.dim() != 1:
        raise ValueError(f"labels must be (B,), got {tuple(labels.shape)}")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise ValueError(f"labels must be in 0..{classes - 1}, got {int(labels.min())}..{int(labels.max())}")
    return F.one_hot(labels.long().to(like.device), classes).to(like.dtype)


class LabelledInput(nn.Module):
    """x (B, *shape), y (B,) -> net(x with the one-hot label appended): flat (MLP) or as constant channels."""

    def __init__(self, net: nn.Module, classes: int, *, channels: bool):
        super().__init__()
        self.net, self.classes, self.channels = net, classes, channels

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        code = one_hot(y, self.classes, x)
        if self.channels:
            maps = code[:, :, None, None].expand(-1, -1, *x.shape[2:])
            return self.net(torch.cat([x, maps], 1))
        return self.net(torch.cat([x.flatten(1), code], 1))


class LabelledLatent(nn.Module):
    """z (B, d), y (B,) -> net(z ⊕ one-hot(y)), the net built for d + classes inputs."""

    def __init__(self, net: nn.Module, classes: int):
        super().__init__()
        self.net, self.classes = net, classes

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([z, one_hot(y, self.classes, z)], 1))


CODE_CLASSIFIER_HIDDEN = 128  # one hidden layer: a linear probe would miss class information stored nonlinearly


def code_classifier(latent_dim: int, classes: int) -> nn.Module:
    """z (B, latent_dim) -> class logits (B, classes): Linear - ReLU - Linear."""
    return nn.Sequential(nn.Linear(latent_dim, CODE_CLASSIFIER_HIDDEN), nn.ReLU(),
                         nn.Linear(CODE_CLASSIFIER_HIDDEN, classes))


class ProjectionDiscriminator(nn.Module):
    """D(x, y) = head(phi(x)) + <embed(y), phi(x)>: logits (B,). The embedding starts at zero, so at
    initialisation D is the unconditional discriminator it wraps. With `classify`, a linear class head on the
    same phi: forward(x, y, with_classes=True) returns (logits (B,), class logits (B, classes)) from one pass."""

    def __init__(self, discriminator: nn.Module, classes: int, features: int, *, classify: bool = False):
        super().__init__()
        self.discriminator = discriminator
        self.embed = nn.Embedding(classes, features)
        nn.init.zeros_(self.embed.weight)
        self.classifier = nn.Linear(features, classes) if classify else None

    def forward(self, x: torch.Tensor, y: torch.Tensor, *, with_classes: bool = False):
        phi = self.discriminator.features(x)                               # (B, F)
        logits = self.discriminator.head(phi) + (self.embed(y.long().to(phi.device)) * phi).sum(1)
        if not with_classes:
            return logits
        if self.classifier is None:
            raise ValueError("with_classes: this discriminator was built without a class head (classify=False)")
        return logits, self.classifier(phi)
