"""Run configuration: frozen, typed dataclasses checked when they are built, saved as JSON with every run.

A run's config is `RunConfig(family, data, model, train)`; `model` is the family's own frozen dataclass
(`genlab.config.ae.Config`, ...), so options belong to the model they configure and nothing inherits.
Every field is declared once with `option(...)`: the CLI's options, help and checks all come from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from genlab.config.fields import build, check, option
from genlab.errors import UsageError

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("fp32", "bf16", "fp16")


SEED_MAX = 2**32 - 1  # what every generator a seed reaches accepts (torch, numpy, sklearn)


@dataclass(frozen=True)
class DataConfig:
    spec: str = option(dataclasses.MISSING, "dataset spec: a registered name (see `genlab datasets`), "
                       "idx:PATH or folder:PATH", flag="--data", metavar="SPEC")
    image_size: int | None = option(None, "resize images to N x N (default: the dataset's own size)", min=1,
                                    metavar="N")
    target: str | None = option(None, "the target domain (unlabelled during training); default for two-moons: "
                                "two-moons-rotated, mnist-5k: mnist-5k-m-like, mnist: mnist-m-like",
                                metavar="SPEC", families=("dann",))
    flip: bool = option(False, "train on images mirrored left-right at random (half of each batch): for "
                        "data whose mirror image is as likely, such as faces")
    shift: int = option(0, "train on images moved by up to N pixels on each axis at random (edges repeated)",
                        min=0, metavar="N")

    def __post_init__(self):
        check(self)
        if not self.spec:
            raise UsageError("--data: give a dataset spec (see `genlab datasets`)")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = option(10, "passes over the train split", min=0)
    max_steps: int | None = option(None, "stop at global step N (with --resume: continue up to N)", min=1,
                                   metavar="N")
    batch_size: int = option(128, "images per step (the global batch under torchrun)", min=1, metavar="N")
    lr: float = option(1e-3, "learning rate", above=0, metavar="X")
    seed: int = option(0, "seed for weights, data order and noise (0 to 2^32 - 1)", min=0, max=SEED_MAX, metavar="N")
    device: str = option("auto", "where to train; auto picks cuda, then mps, then cpu", choices=DEVICES)
    log_every: int = option(50, "steps between train rows in metrics.jsonl", min=1, metavar="N")
    checkpoint_every: int = option(500, "steps between checkpoints; one is also written at each epoch end",
                                   min=1, metavar="N")
    eval_limit: int | None = option(None, "evaluate on at most N validation items at each epoch end, evenly "
                                    "spaced through the hold-out (default: all)", min=1, metavar="N")
    validation: float | None = option(
        None, "train items held out for the epoch-end evaluation (split \"validation\" in metrics.jsonl): a "
        "count N >= 1 or a fraction 0 < X < 1; 0 holds out nothing and evaluates nothing during training. "
        "Default: 5000 when the train split has 50,000 items or more, else 10%%. The test split is never "
        "seen during training (it is `genlab evaluate`'s)", min=0, metavar="N|X")
    validation_seed: int = option(0, "seed of the held-out draw; apart from --seed, so runs of several seeds "
                                  "train and validate on the same items", min=0, max=SEED_MAX, metavar="N")
    tensorboard: bool = option(False, "also write TensorBoard event files (scalars and the per-epoch sample "
                               "grids) to DIR/tensorboard; needs `pip install tensorboard`")
    precision: str = option("fp32", "arithmetic for forward passes: fp32, or bf16/fp16 autocast (fp16 adds a "
                            "gradient scaler; CUDA only). Keep fp32 on CPUs without bf16 hardware",
                            choices=PRECISIONS)
    compile: bool = option(False, "torch.compile the training forward passes (falls back with a warning "
                           "where the compiler is unavailable)")

    def __post_init__(self):
        check(self)
        if self.epochs == 0 and self.max_steps is None:
            raise UsageError("--epochs 0 needs --max-steps to say how long to train")
        v = self.validation
        if v is not None and v >= 1 and v != int(v):
            raise UsageError(f"--validation {v:g}: a count must be a whole number (or give a fraction below 1)")


# The default validation hold-out (TrainConfig.validation = None): big train splits give a fixed 5000 items
# (as MNIST's customary 55k/5k), smaller ones 10%.
VALIDATION_BIG_SPLIT = 50_000
VALIDATION_BIG_ITEMS = 5000
VALIDATION_FRACTION = 0.1


def validation_items(validation: float | None, n_train: int) -> int:
    """How many of `n_train` items `--validation` holds out; at least one stays for training."""
    if n_train < 1:
        raise UsageError("the train split is empty: nothing to train on")
    if validation is None:
        held = VALIDATION_BIG_ITEMS if n_train >= VALIDATION_BIG_SPLIT else round(VALIDATION_FRACTION * n_train)
    elif validation < 1:
        held = round(validation * n_train)
    else:
        held = int(validation)
    if held >= n_train:
        raise UsageError(f"--validation {validation:g}: holds out {held} of the {n_train} train items; "
                         "leave at least one for training")
    return max(held, 0)


# Fields that may differ between a run and its --resume (they change how long or where, not what).
RESUMABLE_CHANGES = {"train.epochs", "train.max_steps", "train.device", "train.log_every",
                     "train.checkpoint_every", "train.compile", "train.tensorboard"}


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
    """A config dataclass from JSON values; unknown keys are errors, values are checked as on the CLI."""
    return build(cls, values, where=where)


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
