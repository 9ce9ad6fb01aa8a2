"""Feature nets: a small conv classifier per labelled dataset whose penultimate layer replaces Inception.

Public FID tools download ImageNet Inception weights at first use; that fails offline, makes numbers depend
on a hidden download, and Inception features of 28x28 grayscale clothes are a poor fit anyway. So genlab
trains a small classifier on the dataset's own train split (`genlab featurenet train --data SPEC`) and uses
its penultimate activations as features -- the same idea as the LeNet-based "FID" common in MNIST papers.

Saved as `featurenet.safetensors` + `featurenet.json` (test accuracy, dataset spec, image shape, the
architecture, and the sha256 of the weights file so every evaluation records which net it used). Without
--out it goes to `cache_dir()/featurenets/<dataset key>/`, where `evaluate --fid` looks by dataset.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from genlab import io
from genlab.errors import UsageError

WEIGHTS = "featurenet.safetensors"
META = "featurenet.json"
FORMAT = "genlab-featurenet/1"
WIDTH = 32            # channels of the first conv (the second has 2x)
FEATURE_DIM = 128     # size of the feature vector: FID needs more than this many samples per set
MAX_MAP = 7           # largest spatial map fed to the feature layer (28x28 images give exactly 7x7)


class FeatureNet(nn.Module):
    """Two strided conv-BN-ReLU stages -> (at most 7x7) -> linear -> ReLU features -> linear logits.

    x: (B, C, H, W) in [0, 1] with (C, H, W) = image_shape, H, W >= 4. Strided convolutions instead of
    max-pooling and no pooling at all where the map is already small (28x28 -> 7x7): the backward passes of
    pooling layers cost a third of a CPU step here, and `featurenet train` should take about a minute.
    """

    def __init__(self, image_shape: tuple[int, int, int], num_classes: int, *, width: int = WIDTH,
                 feature_dim: int = FEATURE_DIM):
        super().__init__()
        self.num_features = feature_dim
        c, h, w = image_shape
        h4, w4 = -(-h // 4), -(-w // 4)                             # map size after two stride-2 convs
        big = h4 > MAX_MAP or w4 > MAX_MAP
        self.trunk = nn.Sequential(
            nn.Conv2d(c, width, 5, stride=2, padding=2, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            # (B, w, H/2, W/2)
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            # (B, 2w, H/4, W/4), averaged down to at most 7x7 for large images
            nn.AdaptiveAvgPool2d(MAX_MAP) if big else nn.Identity(), nn.Flatten(),
            nn.Linear(2 * width * min(h4, MAX_MAP) * min(w4, MAX_MAP), feature_dim), nn.ReLU(),
            # (B, feature_dim): the features
        )
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))


def dataset_key(spec: str, image_size: int | None) -> str:
    """Folder name for a dataset's feature net: the spec itself when it is a plain name, else a readable
    slug plus a hash (paths in idx:/folder: specs); `-<N>px` when the images were resized."""
    key = spec if re.fullmatch(r"[A-Za-z0-9._-]+", spec) else (
        re.sub(r"[^A-Za-z0-9._-]+", "_", spec)[-40:].strip("_") + "-"
        + hashlib.sha256(spec.encode()).hexdigest()[:10])
    return key if image_size is None else f"{key}-{image_size}px"


def default_dir(spec: str, image_size: int | None) -> Path:
    from genlab.paths import cache_dir

    return cache_dir() / "featurenets" / dataset_key(spec, image_size)


def train_command(spec: str, image_size: int | None) -> str:
    """The exact command that makes the feature net `evaluate --fid` looks for."""
    size = f" --image-size {image_size}" if image_size is not None else ""
    return f"genlab featurenet train --data {spec}{size}"


def _batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


@torch.no_grad()
def accuracy(net: FeatureNet, split, *, device: torch.device, batch_size: int = 1000) -> float:
    """Top-1 accuracy on a labelled Split (uint8 images)."""
    from genlab.data import to_float

    net.eval()
    correct = 0
    for s in _batches(len(split), batch_size):
        logits = net(to_float(split.images[s]).to(device))
        correct += int((logits.argmax(1).cpu() == split.labels[s]).sum())
    return correct / len(split)


def total_steps(n: int, *, batch_size: int, epochs: int, max_steps: int | None) -> int:
    """Steps to run: `epochs` passes, cut at max_steps; max_steps alone when epochs < 1."""
    total = -(-n // batch_size) * epochs
    if max_steps is not None:
        total = max_steps if epochs < 1 else min(total, max_steps)
    return total


def train(dataset, *, epochs: int, max_steps: int | None, batch_size: int, lr: float, seed: int,
          device: torch.device, log=None) -> tuple[FeatureNet, dict]:
    """Train a FeatureNet on dataset.train; returns (net in eval mode, record for featurenet.json)."""
    _check_trainable(dataset)
    torch.manual_seed(seed)
    net = FeatureNet(dataset.sample_shape, dataset.num_classes).to(device)
    total = total_steps(len(dataset.train), batch_size=batch_size, epochs=epochs, max_steps=max_steps)
    t0 = time.perf_counter()
    _fit(net, dataset.train, total=total, batch_size=batch_size, lr=lr, seed=seed, device=device, log=log)
    record = {"format": FORMAT, "dataset": dataset.name, "image_shape": list(dataset.sample_shape),
              "classes": list(dataset.classes), "width": WIDTH, "feature_dim": net.num_features, "steps": total,
              "epochs": round(total * batch_size / len(dataset.train), 3), "batch_size": batch_size, "lr": lr,
              "seed": seed, "train_seconds": round(time.perf_counter() - t0, 2),
              "test_accuracy": accuracy(net, dataset.test, device=device), "n_test": len(dataset.test)}
    return net, record


def _fit(net: FeatureNet, split, *, total: int, batch_size: int, lr: float, seed: int, device, log) -> None:
    """Adam + cross-entropy for `total` steps, the learning rate decayed to 0 on a cosine (Loshchilov &
    Hutter 2017, SGDR without restarts). Fashion-MNIST, 3 epochs, lr 3e-3: 91.3% test accuracy (a constant
    2e-3 with a 4x4-pooled head gave 88.7%)."""
    from genlab.data import BatchSchedule, to_float
    from genlab.progress import Progress

    opt = torch.optim.Adam(net.parameters(), lr=lr)
    decay = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.5 * (1 + math.cos(math.pi * step / total)))
    batches = BatchSchedule(len(split), batch_size, seed=seed)
    net.train()
    t0 = time.perf_counter()
    with Progress(total=total, desc="featurenet train", enabled=log is not None) as bar:
        for step in range(total):
            epoch, idx = batches(step)
            loss = F.cross_entropy(net(to_float(split.images[idx]).to(device)), split.labels[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            decay.step()
            epoch_end = (step + 1) % batches.steps_per_epoch == 0 or step + 1 == total
            bar.update(1, {"loss": float(loss.detach())} if epoch_end or step % 20 == 0 else None)
            if log is not None and epoch_end:
                log(f"featurenet: epoch {epoch + 1} step {step + 1}/{total} loss {float(loss.detach()):.4f} "
                    f"{time.perf_counter() - t0:.0f}s")
    net.eval()


def _check_trainable(dataset) -> None:
    if dataset.kind != "image":
        raise UsageError(f"{dataset.name}: a feature net needs image data; this is {dataset.kind} data")
    if dataset.classes is None or dataset.train.labels is None or dataset.test.labels is None:
        raise UsageError(f"{dataset.name}: a feature net is a classifier and needs class labels; this dataset "
                         "has none (pass --featurenet DIR with a net trained on a labelled dataset of the same "
                         "image shape)")
    if min(dataset.sample_shape[1:]) < 4:
        raise UsageError(f"{dataset.name}: images of {dataset.sample_shape} are too small; at least 4x4")


def save(out_dir: Path, net: FeatureNet, record: dict, *, image_size: int | None) -> dict:
    """Write weights then JSON (atomically); returns the JSON record with the weights' sha256."""
    from safetensors.torch import save as st_save

    out_dir = Path(out_dir)
    blob = st_save({k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()})
    io.write_bytes(out_dir / WEIGHTS, blob)
    record = {**record, "image_size": image_size, "sha256": hashlib.sha256(blob).hexdigest()}
    io.write_json(out_dir / META, record)
    return record


def load(net_dir: Path, *, device: torch.device) -> tuple[FeatureNet, dict]:
    """Rebuild a saved FeatureNet from its JSON, check the weights' hash, load them (no pickle)."""
    from safetensors.torch import load as st_load

    net_dir = Path(net_dir)
    meta_path, weights_path = net_dir / META, net_dir / WEIGHTS
    if not meta_path.is_file() or not weights_path.is_file():
        raise UsageError(f"--featurenet {net_dir}: no feature net there ({META} + {WEIGHTS} expected)")
    try:
        record = json.loads(meta_path.read_text())
        if record.get("format") != FORMAT:
            raise KeyError("format")
        net = FeatureNet(tuple(record["image_shape"]), len(record["classes"]), width=record["width"],
                         feature_dim=record["feature_dim"])
    except (json.JSONDecodeError, KeyError, TypeError, IndexError):
        raise UsageError(f"{meta_path}: not a genlab feature net description ({FORMAT})") from None
    blob = weights_path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != record.get("sha256"):
        raise UsageError(f"{weights_path}: sha256 differs from {META}; the weights were changed or damaged, "
                         f"retrain with `{train_command(record['dataset'], record.get('image_size'))}`")
    try:
        net.load_state_dict(st_load(blob), strict=True)
    except Exception as exc:  # noqa: BLE001 - safetensors raises several types for a damaged file
        first = str(exc).splitlines()[0][:100]
        raise UsageError(f"{weights_path}: weights do not fit the described net ({first})") from None
    return net.to(device).eval(), {**record, "path": str(net_dir)}
