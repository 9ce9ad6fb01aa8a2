"""`evaluate --fid`: sample quality of a generative run, next to the floor that real data itself reaches.

The test split is cut (seeded) into two disjoint halves: the *reference* half and the *floor* half. The
model's n samples are compared with the reference half; the floor half is compared with the reference half
by the same metrics. A perfect generator scores the floor on average when n equals the floor half's size
(the default), because FID and precision/recall depend on the set sizes (FID is biased upwards for small n).

Metrics (on the dataset's feature net, `genlab.metrics.featurenet`): fid, kid (+ kid_std over subsets),
precision and recall (k = 3), inception_score (+ std over splits, from the net's class logits); each also
as floor_<name>. With `inception_weights`, standard Inception FID as inception_fid / floor_inception_fid.
A class-conditional run draws every class in turn and adds class_accuracy: the share of its samples that the
feature net's classifier labels as the class they were drawn for.

The feature net's features of the whole real test split are cached in $GENLAB_CACHE/fid-features, keyed by
(the feature net's sha256, the dataset, the split, a hash of the split's pixels): a second `--fid` on any run
of that dataset computes only its samples' features.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import torch

from genlab import io
from genlab.errors import GenlabError, UsageError
from genlab.metrics import featurenet as fnet
from genlab.metrics.feature_scores import fid as fid_score
from genlab.metrics.feature_scores import inception_score, kid
from genlab.metrics.precision_recall import precision_recall
from genlab.progress import Progress

SAMPLE_BATCH = 1000


def real_halves(split, *, seed: int):
    """(reference, floor): a seeded random split of the test images into two disjoint halves (uint8)."""
    ref, flo = half_indices(len(split), seed=seed)
    return split.images[ref], split.images[flo]


def half_indices(n: int, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The positions of `real_halves`' reference and floor halves."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    half = n // 2
    return perm[:half], perm[half:2 * half]


@torch.no_grad()
def draw_samples(task, n: int, *, shape: tuple[int, ...], device: torch.device, seed: int,
                 labels: torch.Tensor | None = None) -> torch.Tensor:
    """n samples from task.sample in batches, as uint8 (n, C, H, W) on the CPU (like the real images); with
    labels (n,), a class-conditional task's samples of those classes."""
    from genlab.data import to_uint8

    generator = torch.Generator(device=device).manual_seed(seed)
    out = torch.empty((n, *shape), dtype=torch.uint8)
    with Progress(total=n, desc="fid: sampling", unit="img") as bar:
        for start in range(0, n, SAMPLE_BATCH):
            b = min(SAMPLE_BATCH, n - start)
            if labels is None:
                x = task.sample(b, generator=generator)
            else:
                x = task.sample(b, generator=generator, labels=labels[start:start + b].to(device))
            finite = bool(torch.isfinite(x).all())
            if tuple(x.shape) != (b, *shape) or not finite:
                raise GenlabError(f"task.sample({b}) returned {tuple(x.shape)} (finite: {finite}); expected "
                                  f"finite ({b}, {', '.join(map(str, shape))}) in [0, 1]")
            out[start:start + b] = to_uint8(x.cpu())
            bar.update(b)
    return out


@torch.no_grad()
def featurize(fn, images: torch.Tensor, *, device: torch.device, batch: int = 500,
              desc: str = "fid: features") -> list[torch.Tensor]:
    """Apply fn (float images in [0, 1] on device -> tuple of (B, ...) tensors) to uint8 images in batches."""
    from genlab.data import to_float

    parts = []
    with Progress(total=len(images), desc=desc, unit="img") as bar:
        for s in range(0, len(images), batch):
            parts.append(fn(to_float(images[s:s + batch]).to(device)))
            bar.update(len(parts[-1][0]))
    return [torch.cat([p[i].cpu() for p in parts]) for i in range(len(parts[0]))]


def pixels_digest(images: torch.Tensor) -> str:
    """sha256 of a uint8 tensor's shape and bytes: which real images a cached feature set belongs to."""
    digest = hashlib.sha256(repr(tuple(images.shape)).encode())
    digest.update(memoryview(images.contiguous().numpy()).cast("B"))
    return digest.hexdigest()


def reference_cache_path(record: dict, dataset_key: str, split_name: str, images: torch.Tensor) -> Path:
    from genlab.paths import cache_dir

    name = f"{dataset_key}-{split_name}-net{record['sha256'][:16]}-px{pixels_digest(images)[:16]}.safetensors"
    return cache_dir() / "fid-features" / name


def cached_features(fn, images: torch.Tensor, path: Path, *, device: torch.device) -> tuple[list, bool]:
    """([features, logits] of every image, in order; whether they came from the cache at `path`). A missing or
    damaged cache file is recomputed and rewritten (atomically); a read-only cache only costs the time."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file, save_file

    try:
        found = load_file(str(path))
        if found["features"].shape[0] == len(images) == found["logits"].shape[0]:
            return [found["features"], found["logits"]], True
    except (OSError, SafetensorError, KeyError):
        pass
    feats = featurize(fn, images, device=device, desc="fid: real features")
    try:
        io.write_with(path, lambda tmp: save_file({"features": feats[0].contiguous(),
                                                   "logits": feats[1].contiguous()}, str(tmp)))
    except OSError:
        pass
    return feats, False


def feature_metrics(ref_feats, ref_logits, feats, logits, *, seed: int) -> dict[str, float]:
    """Every feature-net metric of one set (feats (M, D), logits (M, K)) against the reference set."""
    # subsets of at most half the smaller set, so they differ and their spread means something (Binkowski et
    # al. use 1000 of 10k+); the mean stays unbiased at any subset size
    k_mean, k_std = kid(ref_feats, feats, subset_size=min(1000, min(len(ref_feats), len(feats)) // 2), seed=seed)
    precision, recall = precision_recall(ref_feats, feats, k=3)
    is_mean, is_std = inception_score(logits, splits=min(10, len(logits)), seed=seed)
    return {"fid": fid_score(ref_feats, feats), "kid": k_mean, "kid_std": k_std, "precision": precision,
            "recall": recall, "inception_score": is_mean, "inception_score_std": is_std}


def check_sizes(*, n: int, reference: int, floor: int, dim: int, what: str, test_size: int) -> None:
    """A d-dim covariance has full rank only from d + 1 samples on; refuse fewer, saying how many."""
    need = dim + 1
    if n < need:
        raise UsageError(f"--n {n}: the {what}'s {dim} features need at least {need} samples for a full-rank "
                         f"covariance; pass --n {need} or more")
    if min(reference, floor) < need:
        raise UsageError(f"the test split has {test_size} images, so its halves have {min(reference, floor)}; "
                         f"the {what}'s {dim} features need at least {need} per half ({2 * need} test images)")


def find_featurenet(dataset, image_size: int | None, featurenet_dir: Path | None, *, device: torch.device):
    """The feature net named by --featurenet, else the cached one for this dataset; checks the image shape."""
    spec = dataset.name
    net_dir = Path(featurenet_dir) if featurenet_dir is not None else fnet.default_dir(spec, image_size)
    if featurenet_dir is None and not (net_dir / fnet.META).is_file():
        raise UsageError(f"--fid: no feature net for dataset '{spec}' in {net_dir}; make one with: "
                         f"{fnet.train_command(spec, image_size)}")
    net, record = fnet.load(net_dir, device=device)
    if tuple(record["image_shape"]) != tuple(dataset.sample_shape):
        raise UsageError(f"--featurenet {net_dir}: made for images {tuple(record['image_shape'])}, but "
                         f"{spec} has {tuple(dataset.sample_shape)}; make a matching one with: "
                         f"{fnet.train_command(spec, image_size)}")
    return net, record


def _featurenet_part(net, record, fakes, test, *, dataset_key: str, device, seed,
                     fake_labels: torch.Tensor | None = None) -> dict:
    def features_and_logits(x):
        f = net.features(x)
        return f, net.head(f)

    path = reference_cache_path(record, dataset_key, "test", test.images)
    (real_f, real_l), hit = cached_features(features_and_logits, test.images, path, device=device)
    ref, flo = half_indices(len(test), seed=seed)
    ref_f, ref_l = real_f[ref], real_l[ref]
    fake_f, fake_l = featurize(features_and_logits, fakes, device=device, desc="fid: sample features")
    out = feature_metrics(ref_f, ref_l, fake_f, fake_l, seed=seed)
    if fake_labels is not None:  # conditional samples: how often the classifier names the class asked for
        out["class_accuracy"] = float((fake_l.argmax(1).cpu() == fake_labels.cpu()).float().mean())
    floor_metrics = feature_metrics(ref_f, ref_l, real_f[flo], real_l[flo], seed=seed)
    out.update({f"floor_{k}": v for k, v in floor_metrics.items()})
    out["reference_features"] = {"cached": hit, "path": str(path)}
    out["featurenet"] = {"sha256": record["sha256"], "path": record["path"], "dataset": record["dataset"],
                         "test_accuracy": record["test_accuracy"], "feature_dim": record["feature_dim"]}
    return out


def _inception_part(net, weights: Path, fakes, reference, floor, *, device) -> dict:
    def features(x):
        return (net.features(x),)

    ref, fake, flo = (featurize(features, images, device=device, batch=100)[0]
                      for images in (reference, fakes, floor))
    digest = hashlib.sha256(Path(weights).read_bytes()).hexdigest()
    return {"inception_fid": fid_score(ref, fake), "floor_inception_fid": fid_score(ref, flo),
            "inception_weights": {"path": str(weights), "sha256": digest}}


def evaluate_run(loaded_run, dataset, *, n: int | None, featurenet_dir: Path | None,
                 inception_weights: Path | None, device: torch.device, seed: int, fid: bool) -> dict:
    """Sample-quality numbers of a trained generative run (see the module docstring for the keys).

    n: samples to draw (None: as many as the floor half). The feature net is checked before any sampling,
    so a missing net or too small an n fails at once.
    """
    task = loaded_run.task
    # the caller checks that the task is a Sampler (genlab.training.capabilities, a layer above metrics)
    if dataset.kind != "image":
        raise UsageError(f"--fid needs image data; {dataset.name} is {dataset.kind} data")
    t0 = time.perf_counter()
    reference, floor = real_halves(dataset.test, seed=seed)
    n = len(floor) if n is None else n
    image_size = loaded_run.config.data.image_size
    net = record = None
    if fid:
        net, record = find_featurenet(dataset, image_size, featurenet_dir, device=device)
        check_sizes(n=n, reference=len(reference), floor=len(floor), dim=record["feature_dim"],
                    what="feature net", test_size=len(dataset.test))
    inception = None
    if inception_weights is not None:
        from genlab.metrics.inception import FEATURE_DIM, load_fid_inception

        inception = load_fid_inception(inception_weights, device=device)
        check_sizes(n=n, reference=len(reference), floor=len(floor), dim=FEATURE_DIM, what="Inception network",
                    test_size=len(dataset.test))
    classes = getattr(task, "classes", 0)  # a class-conditional run: every class in turn, labels kept
    labels = torch.arange(n) % classes if classes else None
    fakes = draw_samples(task, n, shape=tuple(dataset.sample_shape), device=device, seed=seed, labels=labels)
    result: dict = {"n_samples": n, "n_reference": len(reference), "n_floor": len(floor)}
    if fid:
        result.update(_featurenet_part(net, record, fakes, dataset.test, device=device, seed=seed,
                                       dataset_key=fnet.dataset_key(dataset.name, image_size), fake_labels=labels))
    if inception_weights is not None:
        result.update(_inception_part(inception, inception_weights, fakes, reference, floor, device=device))
    result["sample_quality_seconds"] = round(time.perf_counter() - t0, 2)
    return result


def featurenet_fid(task, dataset, *, featurenet_dir: Path, image_size: int | None, device: torch.device,
                   n: int | None = None, seed: int = 0) -> float:
    """Only the feature-net FID of a Sampler task's samples against the reference half of the test split
    (what `evaluate --fid` reports as `fid`, without KID, precision/recall and the floor: for curves over
    training, where those cost most of the time)."""
    net, record = find_featurenet(dataset, image_size, featurenet_dir, device=device)
    test = dataset.test
    path = reference_cache_path(record, fnet.dataset_key(dataset.name, image_size), "test", test.images)
    (real_f, _), _ = cached_features(lambda x: (net.features(x), net.head(net.features(x))), test.images, path,
                                     device=device)
    ref, _ = half_indices(len(test), seed=seed)
    n = len(ref) if n is None else n
    check_sizes(n=n, reference=len(ref), floor=len(test) - len(ref), dim=record["feature_dim"],
                what="feature net", test_size=len(test))
    fakes = draw_samples(task, n, shape=tuple(dataset.sample_shape), device=device, seed=seed)
    (fake_f,) = featurize(lambda x: (net.features(x),), fakes, device=device, desc="fid: sample features")
    return fid_score(real_f[ref], fake_f)
