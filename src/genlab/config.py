"""Run configuration: frozen, typed dataclasses that only the CLI builds and every run saves as JSON.

A run's config is `RunConfig(family, data, model, train)`; `model` is the family's own frozen dataclass
(e.g. `AEConfig`), so options belong to the model they configure and nothing inherits from anything.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any

from genlab.errors import UsageError


@dataclass(frozen=True)
class DataConfig:
    spec: str                       # a data spec: registered name, idx:PATH or folder:PATH
    image_size: int | None = None   # resize images to this square size (None: native size)
    target: str | None = None       # second domain (DANN)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    max_steps: int | None = None    # stop at this global step (wins over epochs when smaller)
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    device: str = "auto"
    log_every: int = 50             # steps between train-metric rows in metrics.jsonl
    checkpoint_every: int = 500     # steps between checkpoints (also at every epoch end)
    eval_limit: int | None = None   # evaluate on at most this many test items per epoch (None: all)
    precision: str = "fp32"         # fp32, bf16 or fp16 (autocast; fp16 adds a gradient scaler; CUDA only)
    compile: bool = False           # torch.compile the training forward passes


# Fields that may differ between a run and its --resume (they change how long or where, not what).
RESUMABLE_CHANGES = {"train.epochs", "train.max_steps", "train.device", "train.log_every",
                     "train.checkpoint_every", "train.compile"}


@dataclass(frozen=True)
class RunConfig:
    family: str                     # ae, vae, gan, gan-1d, dann
    data: DataConfig
    model: Any                      # the family's config dataclass
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return {"family": self.family, "data": dataclasses.asdict(self.data),
                "model": dataclasses.asdict(self.model), "train": dataclasses.asdict(self.train)}


def from_dict(cls: type, values: dict, *, where: str) -> Any:
    """Build a frozen config dataclass from JSON values; unknown keys are errors, lists become tuples."""
    if not isinstance(values, dict):
        raise UsageError(f"{where}: expected a JSON object, got {type(values).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise UsageError(f"{where}: unknown keys {unknown}; accepted: {sorted(known)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in values.items():
        if isinstance(value, list) and "tuple" in str(hints.get(name, "")):
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)


def flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = list(value) if isinstance(value, tuple) else value
    return out


def differences(old: dict, new: dict, *, ignore: set[str] = frozenset(), common_only: bool = False) -> list[str]:
    """Keys (dotted) whose values differ between two config dicts, minus the ignored ones.

    common_only: compare only keys both have (a field added to genlab later does not orphan older runs).
    """
    a, b = flatten(old), flatten(new)
    keys = set(a) & set(b) if common_only else set(a) | set(b)
    return sorted(k for k in keys if k not in ignore and a.get(k) != b.get(k))
