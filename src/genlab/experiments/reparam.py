"""The reparameterization slide as an experiment: two estimators of grad E_q[f(z)] against the exact gradient.

q = N(mu, diag sigma^2); the gradient is taken wrt (mu, log sigma). Two cases:
- closed form: f(z) = sum_j (a_j z_j + b_j)^2, whose expectation and gradient are exact;
- a trained VAE's encoder: q(z|x) of one test image, f(z) = log p(x|z) through the decoder; the "exact"
  gradient is a very large reparameterized sample (its own standard error enters every comparison).
For each: both estimators' means over `samples` draws against the exact gradient in units of the standard error
of the difference (unbiased: every coordinate within 3), the per-sample variance (trace of the covariance) at
equal samples, and the variance of the S-sample mean against S (the figure, log-log). The closed form is also
repeated over 201 seeds (`over_seeds`): the 3-SE check on 4 coordinates rejects an unbiased estimator at 1.1%
of seeds by chance, so unbiasedness there is judged on all seeds' draws pooled, whose standard error is 14x
smaller than one seed's, with the single-seed failures counted beside it.

    run = genlab.training.runfolder.load_run("runs/vae-reparam", device=torch.device("cpu"))
    reparam_experiment("out/", run)
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from genlab.objectives.gradient_estimators import (
    quadratic,
    quadratic_expectation_gradient,
    reparameterized_gradient,
    score_function_gradient,
)
from genlab.report.figures import save_figure, subplots

ESTIMATORS = {"reparameterized": reparameterized_gradient, "score function": score_function_gradient}
# The closed-form case: mu, log sigma, a, b per coordinate (a mean of f well away from 0, as for a likelihood).
CLOSED_FORM = {"mu": (0.5, -1.0), "log_sigma": (math.log(0.8), math.log(1.5)), "a": (1.0, -2.0), "b": (1.5, 0.5)}


def per_sample(estimator, f, mu: torch.Tensor, log_sigma: torch.Tensor, n: int, *, generator: torch.Generator,
               chunk: int = 4096) -> torch.Tensor:
    """(n, 2d) per-sample estimates [grad mu, grad log sigma], drawn `chunk` samples at a time."""
    parts = []
    for start in range(0, n, chunk):
        eps = torch.randn(min(chunk, n - start), len(mu), generator=generator, dtype=mu.dtype, device=mu.device)
        parts.append(torch.cat(estimator(f, mu, log_sigma, eps), 1).double().cpu())
    return torch.cat(parts)


def against_exact(samples: torch.Tensor, exact: torch.Tensor, exact_se: torch.Tensor) -> dict:
    """Mean, standard error, the largest |mean - exact| / SE of the difference, and the per-sample variance."""
    mean, se = samples.mean(0), samples.std(0) / math.sqrt(len(samples))
    z = (mean - exact).abs() / (se.pow(2) + exact_se.pow(2)).sqrt()
    return {"mean": mean.tolist(), "standard_error": se.tolist(), "max_z": float(z.max()),
            "variance": float(samples.var(0).sum())}


def variance_curve(estimator, f, mu, log_sigma, counts: tuple[int, ...], *, repeats: int,
                   generator: torch.Generator) -> list[float]:
    """Measured variance (trace) of the S-sample mean estimate, over `repeats` independent repeats, per S."""
    out = []
    for s in counts:
        means = per_sample(estimator, f, mu, log_sigma, s * repeats, generator=generator).view(repeats, s, -1)
        out.append(float(means.mean(1).var(0).sum()))
    return out


def seed_of(seed: int, estimator_index: int) -> int:
    """The generator seed of one estimator's draws at one seed (distinct for every pair)."""
    return seed * len(ESTIMATORS) + estimator_index


def compare(f, mu: torch.Tensor, log_sigma: torch.Tensor, exact: torch.Tensor, exact_se: torch.Tensor, *,
            samples: int, counts: tuple[int, ...], repeats: int, seed: int) -> dict:
    """Both estimators on one case: `against_exact` for each, their variance ratio, and the variance curves."""
    result = {"exact": exact.tolist(), "samples": samples}
    for i, (name, estimator) in enumerate(ESTIMATORS.items()):
        g = torch.Generator(device=mu.device).manual_seed(seed_of(seed, i))
        result[name] = against_exact(per_sample(estimator, f, mu, log_sigma, samples, generator=g), exact, exact_se)
        result[name]["curve"] = variance_curve(estimator, f, mu, log_sigma, counts, repeats=repeats, generator=g)
    result["variance_ratio"] = result["score function"]["variance"] / result["reparameterized"]["variance"]
    result["counts"] = list(counts)
    return result


def _closed_form() -> tuple:
    """CLOSED_FORM's f, mu, log sigma and exact gradient: 2a(a mu + b), 2 a^2 sigma^2."""
    a, b, mu, log_sigma = (torch.tensor(CLOSED_FORM[k], dtype=torch.float64) for k in ("a", "b", "mu", "log_sigma"))
    return quadratic(a, b), mu, log_sigma, torch.cat(quadratic_expectation_gradient(a, b, mu, log_sigma))


def closed_form_case(*, samples: int = 10_000, counts=(1, 4, 16, 64, 256), repeats: int = 200,
                     seed: int = 0) -> dict:
    """Gaussian q and quadratic f (CLOSED_FORM) at one seed: `compare` against the exact gradient."""
    f, mu, log_sigma, exact = _closed_form()
    return compare(f, mu, log_sigma, exact, torch.zeros_like(exact), samples=samples, counts=counts,
                   repeats=repeats, seed=seed)


def over_seeds(*, seeds: int = 201, samples: int = 10_000, first_seed: int = 0,
               estimators: dict | None = None) -> dict:
    """The closed-form case repeated over `seeds` seeds (first_seed, ...; the first is `closed_form_case`'s at
    first_seed: the same draws, so they are part of the pool). For each estimator: the share of
    seeds whose largest |z| over the 2d coordinates exceeds 3 (the single-seed check's false alarms; by chance
    1 - (1 - P(|N(0,1)| > 3))^(2d), "expected"), and all seeds' draws pooled into one mean against the exact
    gradient ("pooled"), whose standard error is sqrt(seeds) times smaller than one seed's: it resolves a bias
    that no single seed could, and a lone seed's chance excursion is one part in `seeds` of it."""
    f, mu, log_sigma, exact = _closed_form()
    zero = torch.zeros_like(exact)
    out = {"seeds": seeds, "samples": samples,
           "expected": 1.0 - (1.0 - math.erfc(3 / math.sqrt(2))) ** len(exact)}
    for i, (name, estimator) in enumerate((estimators or ESTIMATORS).items()):
        fired, means, variances = 0, [], []
        for seed in range(first_seed, first_seed + seeds):
            g = torch.Generator().manual_seed(seed_of(seed, i))
            draws = per_sample(estimator, f, mu, log_sigma, samples, generator=g)
            fired += against_exact(draws, exact, zero)["max_z"] > 3
            means.append(draws.mean(0))
            variances.append(draws.var(0))
        means, variances = torch.stack(means), torch.stack(variances)
        pooled_mean = means.mean(0)  # equal draws per seed; the total variance from each seed's mean and variance
        pooled_var = ((samples - 1) * variances.sum(0) + samples * (means - pooled_mean).pow(2).sum(0)) \
            / (seeds * samples - 1)
        pooled_se = (pooled_var / (seeds * samples)).sqrt()
        out[name] = fired / seeds
        out[f"{name} pooled"] = {"mean": pooled_mean.tolist(), "standard_error": pooled_se.tolist(),
                                 "max_z": float(((pooled_mean - exact).abs() / pooled_se).max()),
                                 "draws": seeds * samples}
    return out


def decoder_log_likelihood(task, x: torch.Tensor):
    """f(z) = log p(x|z) for one image x (1, C, H, W): (S, d) -> (S,), through the VAE task's decoder."""
    return lambda z: task.log_likelihood(task.model.decode(z).unsqueeze(1), x).squeeze(1)


def vae_encoder_case(run, x: torch.Tensor, *, samples: int = 10_000, exact_samples: int = 200_000,
                     counts=(1, 4, 16, 64, 256), repeats: int = 64, seed: int = 0) -> dict:
    """q(z|x) of one image x (1, C, H, W) from the run's encoder; the 'exact' gradient from exact_samples
    reparameterized draws (independent of the compared ones)."""
    task = run.task
    with torch.no_grad():
        mu, logvar = task.model.encode(x)
    mu, log_sigma = mu[0], 0.5 * logvar[0]
    f = decoder_log_likelihood(task, x)
    big = per_sample(reparameterized_gradient, f, mu, log_sigma, exact_samples,
                     generator=torch.Generator(device=mu.device).manual_seed(seed + 100))
    exact, exact_se = big.mean(0), big.std(0) / math.sqrt(len(big))
    result = compare(f, mu, log_sigma, exact, exact_se, samples=samples, counts=counts, repeats=repeats, seed=seed)
    with torch.no_grad():
        at_mean = float(f(mu[None]).squeeze())
    result.update({"exact_samples": exact_samples, "latent_dim": len(mu), "log_likelihood_at_mean": at_mean})
    return result


def variance_figure(cases: dict[str, dict], out_path: Path) -> None:
    """One log-log panel per case: variance of the S-sample mean against S, both estimators, with v / S."""
    fig, axes = subplots(1, len(cases), figsize=(5.2 * len(cases), 3.8), squeeze=False)
    for ax, (title, case) in zip(axes[0], cases.items()):
        counts = case["counts"]
        for colour, name in zip(("tab:blue", "tab:red"), ESTIMATORS):
            ax.plot(counts, case[name]["curve"], "o-", color=colour, label=f"{name} (measured)")
            v = case[name]["variance"]
            ax.plot(counts, [v / s for s in counts], ":", color=colour, lw=1, label=f"{name}: variance / S")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("S (samples per estimate)")
        ax.set_ylabel("variance of the estimate (trace)")
        ax.set_title(f"{title}: ratio {case['variance_ratio']:.3g}x", fontsize=10)
        ax.legend(fontsize=7)
    fig.suptitle("Gradient of E_q[f(z)] wrt (mu, log sigma): reparameterized vs score function", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out_path)


def reparam_experiment(out_dir: Path, run, x: torch.Tensor, *, samples: int = 10_000, exact_samples: int = 200_000,
                       seed: int = 0) -> dict:
    """Both cases (the VAE case on image x (1, C, H, W)); writes reparam_variance.png under out_dir."""
    cases = {"closed form (Gaussian q, quadratic f)": closed_form_case(samples=samples, seed=seed),
             "VAE encoder (f = log p(x|z), one image)": vae_encoder_case(run, x, samples=samples,
                                                                         exact_samples=exact_samples, seed=seed)}
    variance_figure(cases, Path(out_dir) / "reparam_variance.png")
    closed, vae = cases.values()
    return {"closed_form": closed, "vae": vae, "over_seeds": over_seeds(samples=samples, first_seed=seed)}
