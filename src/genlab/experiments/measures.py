"""Small measurements the lecture's claims compare (`genlab.experiments.claims`), each a few seconds at most.

- `mean_image_mse`: the baseline a reconstruction must beat, predicting the mean training image;
- `noise_mse_by_code_std`: MSE of an AE's reconstructions with N(0, (m s)^2) added to the code, s the codes'
  own std, for multiples m (a plain AE's codes can have any scale, so absolute sigmas say little);
- `nearest_neighbour`: distance from each image to its nearest training image (RMS over pixels);
- `knn_accuracy`: k-nearest-neighbour accuracy of points against labelled reference points;
- `mean_and_cov`, `gan_tail`, `d_wins`: summaries of encoded means and of a GAN's logged rows.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from genlab import data as gdata
from genlab.errors import UsageError


def train_images(run, n: int | None = None) -> torch.Tensor:
    """n of the images the run trained on, evenly spaced (float in [0, 1], on the run's device); all when None."""
    return train_split(run, n)[0]


def train_split(run, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n of the images the run trained on (its train split less its validation hold-out), evenly spaced
    (`autoencoders.spread`), and their labels (or None)."""
    from genlab.config.run import validation_items
    from genlab.experiments.autoencoders import spread

    dataset = gdata.load(run.config.data.spec, image_size=run.config.data.image_size)
    train = run.config.train
    trained_on, _ = dataset.hold_out(validation_items(train.validation, len(dataset.train)),
                                     seed=train.validation_seed)
    return spread(trained_on.train, n, run.task.device)


def mean_image_mse(run, x: torch.Tensor) -> float:
    """Per-pixel MSE of predicting the mean training image for every image of x (B, C, H, W) in [0, 1]."""
    mean = train_images(run).mean(0, keepdim=True)
    return float((x - mean).pow(2).mean())


@torch.no_grad()
def noise_mse_by_code_std(run, x: torch.Tensor, multiples=(0.0, 0.25, 0.5, 1.0, 2.0), *,
                          seed: int = 0) -> tuple[dict[str, float], float]:
    """({f"{m:g}": MSE with N(0, (m * s)^2 I) added to the codes}, s), s = mean per-dim std of x's codes."""
    codes = run.task.encode(x)
    std = float(codes.std(0).mean()) if len(x) > 1 else 0.0
    g = torch.Generator(device=run.task.device).manual_seed(seed)
    mse = {}
    for m in multiples:
        recon = run.task.reconstruct(x, latent_noise=m * std, generator=g)
        mse[f"{m:g}"] = float((recon - x).pow(2).mean())
    return mse, std


@torch.no_grad()
def nearest_neighbour(images: torch.Tensor, reference: torch.Tensor, *, chunk: int = 256) -> tuple[float, float]:
    """(mean, standard error) over images (N, ...) of the distance to the nearest reference image (M, ...),
    as root-mean-square pixel difference (so it reads on the [0, 1] pixel scale whatever the image size)."""
    a, b = images.flatten(1).double(), reference.flatten(1).double()
    b_sq = b.pow(2).sum(1)
    nearest = torch.cat([((a[i:i + chunk].pow(2).sum(1, keepdim=True) - 2 * a[i:i + chunk] @ b.T + b_sq)
                          .clamp_min(0).min(1).values) for i in range(0, len(a), chunk)])
    dist = (nearest / a.shape[1]).sqrt()
    se = float(dist.std() / math.sqrt(len(dist))) if len(dist) > 1 else math.inf
    return float(dist.mean()), se


def knn_accuracy(points: torch.Tensor, labels: torch.Tensor, ref_points: torch.Tensor, ref_labels: torch.Tensor,
                 *, k: int = 5) -> float:
    """Fraction of points (N, d) whose majority label among their k nearest ref_points (M, d) is their own."""
    dist = torch.cdist(points.double().cpu(), ref_points.double().cpu())
    votes = ref_labels.cpu()[dist.topk(k, largest=False).indices]                # (N, k)
    predicted = torch.mode(votes, dim=1).values
    return float((predicted == labels.cpu()).float().mean())


def mean_and_cov(points: torch.Tensor) -> tuple[list[float], list[list[float]]]:
    """Mean (d,) and covariance (d, d) of points (N, d), as lists."""
    p = points.double().cpu()
    return p.mean(0).tolist(), torch.cov(p.T).reshape(p.shape[1], p.shape[1]).tolist()


def _train_rows(metrics_path: Path) -> list[dict]:
    from genlab import io

    return [r for r in io.read_jsonl(Path(metrics_path)) if r.get("split") == "train"]


def gan_tail(metrics_path: Path, *, fraction: float = 0.1) -> dict[str, float]:
    """Mean D(x) and D(G(z)) over the last `fraction` of a GAN run's logged train rows."""
    rows = [r for r in _train_rows(metrics_path) if "d_real" in r and "d_fake" in r]
    tail = rows[-max(1, int(len(rows) * fraction)):] if rows else []
    if not tail:
        return {}
    return {"final_d_real": sum(r["d_real"] for r in tail) / len(tail),
            "final_d_fake": sum(r["d_fake"] for r in tail) / len(tail)}


def d_wins(metrics_path: Path) -> dict[str, float]:
    """Over a GAN run's logged train rows: the fraction where mean D(x) > mean D(G(z)), and the row count."""
    rows = [r for r in _train_rows(metrics_path) if "d_real" in r and "d_fake" in r]
    wins = sum(r["d_real"] > r["d_fake"] for r in rows)
    return {"d_wins_fraction": wins / len(rows) if rows else 0.0, "logged_steps": len(rows)}


# --- what each lecture section measures for its claims (names as in claims.py) ---------------------------

def _generator(run, seed: int) -> torch.Generator:
    return torch.Generator(device=run.task.device).manual_seed(seed)


@torch.no_grad()
def reconstruction_vs_mean(run, *, n: int = 1000, seed: int = 0) -> dict:
    """{"test_mse", "mean_image_mse"} over up to n test images; a VAE reconstructs from a posterior sample."""
    from genlab.experiments.autoencoders import test_images

    x, _ = test_images(run, n)
    if run.config.family == "vae":
        recon = run.task.reconstruct(x, generator=_generator(run, seed))
    else:
        recon = run.task.reconstruct(x)
    return {"test_mse": float((recon - x).pow(2).mean()), "mean_image_mse": mean_image_mse(run, x),
            "n_test": len(x)}


def samples_nearest(run, *, n: int = 256, reference: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """(mean, SE) nearest-training-image distance of n decoded N(0, I) draws (`task.sample`)."""
    with torch.no_grad():
        samples = run.task.sample(n, generator=_generator(run, seed))
    return nearest_neighbour(samples, train_images(run, reference))


@torch.no_grad()
def noise_vs_reconstruction(run, *, n: int = 256, reference: int = 10_000, seed: int = 0) -> dict:
    """Nearest-training-image distances of an AE's test reconstructions and of its decoded N(0, I) noise."""
    from genlab.experiments.autoencoders import test_images

    x, _ = test_images(run, n)
    recon_nn, recon_se = nearest_neighbour(run.task.reconstruct(x), train_images(run, reference))
    noise_nn, noise_se = samples_nearest(run, n=n, reference=reference, seed=seed)
    return {"recon_nn": recon_nn, "recon_nn_se": recon_se, "noise_nn": noise_nn, "noise_nn_se": noise_se}


@torch.no_grad()
def latent_clusters(run, *, k: int = 5, n_train: int = 5000, n_test: int = 1000) -> dict:
    """{"knn_accuracy", "k"}: k-NN of the encoded test means among the encoded train means (posterior means)."""
    from genlab.experiments.autoencoders import encoded, test_images

    x, labels = test_images(run, n_test)
    xt, train_labels = train_split(run, n_train)
    if labels is None or train_labels is None:
        return {"k": k}
    means, _ = encoded(run, x, seed=0)
    train_means, _ = encoded(run, xt, seed=0)
    return {"knn_accuracy": knn_accuracy(means, labels, train_means, train_labels, k=k), "k": k}


@torch.no_grad()
def aggregate_means(run, *, n: int = 2000) -> dict:
    """{"means_mean", "means_cov"} of the encoded test means (posterior means) of up to n test images."""
    from genlab.experiments.autoencoders import encoded, test_images

    x, _ = test_images(run, n)
    means, _ = encoded(run, x, seed=0)
    mean, cov = mean_and_cov(means)
    out = {"means_mean": mean, "means_cov": cov}
    if run.config.family == "vae":  # E[sigma^2] per dim: the rest of the aggregate posterior's covariance
        _, logvar = run.task.posterior(x)
        out["posterior_var_mean"] = [float(v) for v in logvar.exp().mean(0).double().cpu()]
        # At any stationary point of the training ELBO, E_train[mu_j^2 + sigma_j^2] = 1 for every j: scaling z_j
        # by a (encoder's last layer) and the decoder's first layer by 1/a leaves the reconstruction unchanged,
        # and d KL / d log a = E[mu_j^2 + sigma_j^2] - 1. Its distance from 1 says how far from converged.
        mu_train, logvar_train = run.task.posterior(train_images(run, n))
        moment = mu_train.pow(2).mean(0) + logvar_train.exp().mean(0)
        out["train_second_moment"] = [float(v) for v in moment.double().cpu()]
    return out


def dann_measured(res: dict) -> dict:
    """Per-seed lists from `dann.compare`'s result, named for the DANN claims."""
    modes = res["modes"]

    def values(mode: str, key: str) -> list[float] | None:
        cell = modes.get(mode, {}).get(key)
        return list(cell["values"]) if cell else None

    return {"dann_target_accuracy": values("dann", "target_accuracy"),
            "source_only_target_accuracy": values("source-only", "target_accuracy"),
            "train_on_target_accuracy": values("train-on-target", "target_accuracy"),
            "dann_proxy_a_distance": values("dann", "proxy_a_distance"),
            "source_only_proxy_a_distance": values("source-only", "proxy_a_distance")}


def reparam_measured(res: dict) -> dict:
    """The reparameterization claims' numbers from `reparam.reparam_experiment`'s result."""
    closed, vae, seeds = res["closed_form"], res["vae"], res["over_seeds"]
    return {"reparameterized_max_z": closed["reparameterized"]["max_z"],
            "score_function_max_z": closed["score function"]["max_z"],
            "reparameterized_pooled_max_z": seeds["reparameterized pooled"]["max_z"],
            "score_function_pooled_max_z": seeds["score function pooled"]["max_z"],
            "pooled_draws": seeds["reparameterized pooled"]["draws"],
            "reparameterized_seed_failures": seeds["reparameterized"],
            "score_function_seed_failures": seeds["score function"],
            "seed_failures_by_chance": seeds["expected"],
            "variance_ratio": closed["variance_ratio"],
            "vae_reparameterized_max_z": vae["reparameterized"]["max_z"],
            "vae_score_function_max_z": vae["score function"]["max_z"],
            "vae_variance_ratio": vae["variance_ratio"]}


def elbo_measured(numbers: dict) -> dict:
    """The ELBO-recap claims' numbers from `elbo_check.elbo_identity`'s result (keyed by its display names)."""
    import re

    iwae = {int(m.group(1)): v for k, v in numbers.items() if (m := re.match(r"IWAE\(K=(\d+)\)", k))}
    return {"exact_posterior_gap": numbers.get("max |ELBO(exact posterior) - log p(x)|"),
            "identity_gap": numbers.get("max |ELBO(q) - (log p(x) - KL(q||p(z|x)))|"),
            "iwae_gap_by_k": {str(k): iwae[k] for k in sorted(iwae)} or None}


@torch.no_grad()
def d_memorisation(run, *, n: int = 1000) -> dict:
    """A GAN's mean D(x) on n of the images it trained on and on n test images (each evenly spaced): how far D
    has memorised its train split."""
    from genlab.experiments.autoencoders import test_images

    out = {"d_real_train": float(run.task.evaluate(train_images(run, n), None)["d_real"])}
    x, _ = test_images(run, n)
    out["d_real_test"] = float(run.task.evaluate(x, None)["d_real"])
    return out


@torch.no_grad()
def paired_nll(run_a, run_b, *, n: int = 1000, k: int = 1000, batch: int = 100, seed: int = 0) -> dict:
    """Importance-weighted -log p(x) (K = k) of two VAE runs on the same n test images: each mean, and
    the mean and standard error of the per-image difference a - b (paired: image-to-image variation cancels)."""
    from genlab.experiments.autoencoders import test_images

    x, _ = test_images(run_a, n)
    per_run = []
    for run in (run_a, run_b):
        g = torch.Generator(device=run.task.device).manual_seed(seed)
        per_run.append(torch.cat([run.task.nll(x[i:i + batch], k=k, generator=g).double().cpu()
                                  for i in range(0, len(x), batch)]))
    diff = per_run[0] - per_run[1]
    se = float(diff.std() / math.sqrt(len(diff))) if len(diff) > 1 else float("inf")
    return {"nll_a": float(per_run[0].mean()), "nll_b": float(per_run[1].mean()), "nll_k": k, "n_test": len(x),
            "nll_difference": float(diff.mean()), "nll_difference_se": se}


@torch.no_grad()
def active_units(run, *, n: int = 1000, threshold: float = 0.01) -> int:
    """Burda et al. (2016)'s active units: latent coordinates whose posterior mean varies across test images,
    Var_x E_q[z_j | x] > threshold."""
    from genlab.experiments.autoencoders import test_images

    x, _ = test_images(run, n)
    mu, _ = run.task.posterior(x)
    return int((mu.double().var(0) > threshold).sum())


@torch.no_grad()
def conditional_code_swap(run, net, *, n: int = 2000, seed: int = 0) -> dict:
    """Where a conditional VAE's samples lose their class, on n test images (evenly spaced): the feature net's
    accuracy on the images themselves, on their decoded posterior means with their own label, and on the
    posterior means of other images (a fixed shuffle, mostly of other classes) decoded with these images'
    labels. When the last falls short of the second, the code z carries class information the label does
    not override, and N(0, I) draws of z, which ignore the class, pull the same way."""
    from genlab.experiments.autoencoders import test_images

    if not getattr(run.task, "classes", 0):
        raise UsageError(f"{run.run_dir}: the code-swap measure needs a class-conditional VAE (--conditional)")
    x, y = test_images(run, n)
    y = y.to(run.task.device)
    mu = run.task.encode(x, labels=y)
    shuffle = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed)).to(run.task.device)
    net = net.eval()

    def accuracy(images: torch.Tensor) -> float:
        return float((net(images).argmax(1) == y).float().mean())

    return {"real_accuracy": accuracy(x), "own_code_accuracy": accuracy(run.task.decode_mean(mu, labels=y)),
            "other_code_accuracy": accuracy(run.task.decode_mean(mu[shuffle], labels=y)),
            "other_code_same_class": float((y[shuffle] == y).float().mean()), "n": len(x)}


@torch.no_grad()
def conditional_class_accuracy(run, net, *, n: int, seed: int = 0) -> tuple[float, list[float]]:
    """A class-conditional run's n samples (every class in turn) through a feature net's classifier: the
    share labelled as the class they were drawn for, overall and per class."""
    device = run.task.device
    wanted = torch.arange(n, device=device) % run.task.classes
    samples = run.task.sample(n, generator=torch.Generator(device=device).manual_seed(seed), labels=wanted)
    named = net.eval()(samples).argmax(1)
    per_class = [float((named[wanted == c] == c).float().mean()) for c in range(run.task.classes)]
    return float((named == wanted).float().mean()), per_class
