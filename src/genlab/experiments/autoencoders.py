"""The lecture's autoencoder and VAE experiments: each takes a loaded run, writes one figure, returns numbers.

    run = genlab.training.runfolder.load_run("runs/vae", device=torch.device("cpu"))
    ae_reconstruction(run, "recon.png")        # or: genlab plot runs/ae recon

AE: reconstruction; noise N(0, sigma^2) added to the code before decoding; decoding pure N(0, I) noise (a
plain AE's codes are not N(0, I), so this gives no images like the data). VAE: reconstruction from a
posterior sample, generation from N(0, I), the 2-D latent manifold (a linear grid, or the prior's inverse
CDF as in Kingma & Welling 2013, fig. 4), where the encoded test set lies against the prior, and the KL per
latent dimension (active units, Burda et al. 2015). All noise comes from seeded generators.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from matplotlib.patches import Circle

from genlab import data as gdata
from genlab.data.images import make_grid
from genlab.errors import UsageError
from genlab.report.figures import save_figure, subplots


def spread(split, n: int | None, device) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n images evenly spaced through a split (`Split.evenly`: all when n is None or >= its size), as floats in
    [0, 1] on `device`, and their labels (or None)."""
    part = split.evenly(n)
    return gdata.to_float(part.images).to(device), part.labels


def test_images(run, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n test images of the run's own dataset, evenly spaced through the split (`spread`) + labels."""
    dataset = gdata.load(run.config.data.spec, image_size=run.config.data.image_size)
    run.task.bind_data(dataset)  # checks that the data has the shape the model was built for
    if dataset.kind != "image":
        raise UsageError(f"{run.run_dir}: these figures need image data, not {run.config.data.spec!r}")
    return spread(dataset.test, n, run.task.device)


def _generator(run, seed: int) -> torch.Generator:
    return torch.Generator(device=run.task.device).manual_seed(seed)


def _need(run, family: str, what: str) -> None:
    if run.config.family != family:
        raise UsageError(f"{what} needs a '{family}' run; {run.run_dir} is a '{run.config.family}' run")


def _mse(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).pow(2).mean())


def image_rows(rows: list[tuple[str, torch.Tensor]], out_path: Path, *, title: str) -> None:
    """One labelled row of images (B, C, H, W) in [0, 1] per entry, stacked; written atomically."""
    width = max(len(images) for _, images in rows)
    fig, axes = subplots(len(rows), 1, figsize=(min(1.0 * width, 16), 1.25 * len(rows) + 0.4),
                             squeeze=False, layout="constrained")  # keeps the suptitle off the rows
    for ax, (label, images) in zip(axes[:, 0], rows):
        grid = make_grid(images.cpu(), nrow=len(images))
        ax.imshow(grid[:, :, 0] if grid.shape[2] == 1 else grid, cmap="gray", vmin=0, vmax=255)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(title, fontsize=10)
    save_figure(fig, out_path)


def image_panels(panels: list[tuple[str, torch.Tensor]], out_path: Path, *, title: str,
                 nrow: int | None = None) -> None:
    """Image grids (B, C, H, W) in [0, 1] side by side, each with its own title; written atomically."""
    grids = [make_grid(images.cpu(), nrow=nrow) for _, images in panels]
    aspect = grids[0].shape[0] / grids[0].shape[1]
    fig, axes = subplots(1, len(panels), figsize=(5.5 * len(panels), 5.5 * aspect + 0.6), squeeze=False,
                             layout="constrained")  # keeps the suptitle off the panel titles
    for ax, (label, _), grid in zip(axes[0], panels, grids):
        ax.imshow(grid[:, :, 0] if grid.shape[2] == 1 else grid, cmap="gray", vmin=0, vmax=255)
        ax.set_axis_off()
        ax.set_title(label, fontsize=9)
    fig.suptitle(title, fontsize=10)
    save_figure(fig, out_path)


def image_grid(images: torch.Tensor, out_path: Path, *, title: str, nrow: int | None = None) -> None:
    image_panels([("", images)], out_path, title=title, nrow=nrow)


# --- autoencoder --------------------------------------------------------------------------------------------

def ae_reconstruction(run, out_path, *, n: int = 16, seed: int = 0) -> dict:
    """Test images (top) against their reconstructions (bottom). Returns the per-pixel MSE."""
    _need(run, "ae", "the AE reconstruction figure")
    x, _ = test_images(run, n)
    recon = run.task.reconstruct(x)
    image_rows([("test", x), ("reconstruction", recon)], Path(out_path), title="Autoencoder reconstruction")
    return {"mse": _mse(recon, x), "n": len(x)}


def ae_latent_noise(run, out_path, *, sigmas=(0.0, 0.5, 1.0, 2.0), n: int = 12, seed: int = 0) -> dict:
    """Reconstructions after adding N(0, sigma^2) to the code, one row per sigma (the lecture's noisy AE).

    Returns the MSE per sigma and the codes' own spread (mean per-dim std), which sets the noise scale
    that matters: a plain AE's codes can have any scale.
    """
    _need(run, "ae", "the latent-noise figure")
    if any(s < 0 for s in sigmas):
        raise UsageError(f"--latent-noise {list(sigmas)}: sigmas must be >= 0")
    x, _ = test_images(run, n)
    g = _generator(run, seed)
    rows, mse = [("test", x)], {}
    for sigma in sigmas:
        recon = run.task.reconstruct(x, latent_noise=float(sigma), generator=g)
        rows.append((f"sigma={sigma:g}", recon))
        mse[f"{sigma:g}"] = _mse(recon, x)
    image_rows(rows, Path(out_path), title="Autoencoder: N(0, sigma^2) added to the code before decoding")
    return {"mse_by_sigma": mse, "code_std": float(run.task.encode(x).std(0).mean()) if len(x) > 1 else 0.0}


def ae_noise_decode(run, out_path, *, n: int = 32, seed: int = 0) -> dict:
    """Decoded pure N(0, I) noise next to decoded test codes: a plain AE is not a generative model.

    Returns how far the test codes are from N(0, I): their mean, per-dim std range, and mean norm.
    """
    _need(run, "ae", "the noise-decoding figure")
    x, _ = test_images(run, max(n, 256))
    codes = run.task.encode(x)
    noise = run.task.sample(n, generator=_generator(run, seed))
    shown = torch.div(torch.arange(min(n, len(codes))) * len(codes), min(n, len(codes)), rounding_mode="floor")
    image_panels([("decoded codes of test images", run.task.decode_mean(codes[shown.to(codes.device)])),
                  ("decoded N(0, I) noise", noise)], Path(out_path), nrow=8,
                 title="Autoencoder decoding pure noise (the code space is not N(0, I))")
    std = codes.std(0)
    return {"code_mean": float(codes.mean()), "code_std_min": float(std.min()), "code_std_max": float(std.max()),
            "code_norm_mean": float(codes.norm(dim=1).mean()),
            "prior_norm_mean": math.sqrt(2) * math.exp(math.lgamma((codes.shape[1] + 1) / 2)
                                                       - math.lgamma(codes.shape[1] / 2))}


# --- VAE ------------------------------------------------------------------------------------------------------

def vae_reconstruction(run, out_path, *, n: int = 16, seed: int = 0) -> dict:
    """Test images, decoded posterior samples z ~ q(z|x), and decoded posterior means. Returns both MSEs."""
    _need(run, "vae", "the VAE reconstruction figure")
    x, _ = test_images(run, n)
    from_sample = run.task.reconstruct(x, generator=_generator(run, seed))
    from_mean = run.task.reconstruct(x, use_mean=True)
    image_rows([("test", x), ("z ~ q(z|x)", from_sample), ("z = mean", from_mean)], Path(out_path),
               title="VAE reconstruction from a posterior sample")
    return {"mse_sample": _mse(from_sample, x), "mse_mean": _mse(from_mean, x), "n": len(x)}


def vae_generation(run, out_path, *, n: int = 64, seed: int = 0) -> dict:
    """Decoder means for n draws z ~ N(0, I): the VAE as a generative model."""
    _need(run, "vae", "the VAE generation figure")
    test_images(run, 1)  # shape check
    images = run.task.sample(n, generator=_generator(run, seed))
    d = run.config.model.latent_dim
    image_grid(images, Path(out_path), title=f"VAE: decoded z ~ N(0, I), {d}-D latent",
               nrow=math.ceil(math.sqrt(n)))
    return {"n": n, "latent_dim": d}


def manifold_grid(steps: int, *, spacing: str, span: float) -> torch.Tensor:
    """(steps,) coordinates per axis: linear in [-span, span], or the N(0,1) inverse CDF of an evenly
    spaced grid of probabilities (cell mid-points), so each tile covers equal prior mass."""
    if spacing == "linear":
        return torch.linspace(-span, span, steps)
    if spacing == "inverse-cdf":
        p = (torch.arange(steps, dtype=torch.float64) + 0.5) / steps
        return torch.distributions.Normal(0.0, 1.0).icdf(p).float()
    raise UsageError(f"manifold spacing {spacing!r}: accepted linear, inverse-cdf")


def latent_manifold(run, out_path, *, steps: int = 20, span: float = 3.0, spacing: str = "linear",
                    seed: int = 0) -> dict:
    """Decode a steps x steps grid over a 2-D latent (the lecture's linear sampling of the MNIST manifold)."""
    d = run.config.model.latent_dim
    if d != 2:
        raise UsageError(f"the 2-D manifold needs a 2-D latent; {run.run_dir} has --latent-dim {d} "
                         "(train with --latent-dim 2)")
    if steps < 2:
        raise UsageError(f"manifold steps {steps}: must be at least 2")
    test_images(run, 1)  # shape check
    axis = manifold_grid(steps, spacing=spacing, span=span)
    z1, z2 = torch.meshgrid(axis, axis.flip(0), indexing="xy")      # rows: z2 from high to low
    z = torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1).to(run.task.device)
    images = run.task.decode_mean(z)
    image_grid(images, Path(out_path), nrow=steps,
               title=f"2-D latent manifold ({spacing} grid, z in [{axis[0]:.2f}, {axis[-1]:.2f}]^2)")
    return {"steps": steps, "spacing": spacing, "z_min": float(axis[0]), "z_max": float(axis[-1])}


def latent_manifold_icdf(run, out_path, *, steps: int = 20, seed: int = 0) -> dict:
    """The manifold over the prior's inverse CDF (Kingma & Welling 2013, fig. 4)."""
    return latent_manifold(run, out_path, steps=steps, spacing="inverse-cdf", seed=seed)


def encoded(run, x: torch.Tensor, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(codes or posterior means, codes or posterior samples), each (B, d), for an AE or a VAE run."""
    if run.config.family == "vae":
        mu, logvar = run.task.posterior(x)
        g = _generator(run, seed)
        return mu, mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g, device=mu.device)
    codes = run.task.encode(x)
    return codes, codes


def latent_scatter(run, out_path, *, n: int = 2000, seed: int = 0) -> dict:
    """Encoded test means (VAE) or codes (AE), coloured by class, over the prior N(0, I)'s 1-2-3 sigma circles.

    A latent wider than 2-D is shown on its first two principal axes; an orthonormal projection of N(0, I)
    is still N(0, I), so the circles stay the prior's contours.
    """
    x, labels = test_images(run, n)
    means, _ = encoded(run, x, seed=seed)
    pts, projected = means.double().cpu(), means.shape[1] > 2
    if projected:
        centred = pts - pts.mean(0)
        _, _, v = torch.linalg.svd(centred, full_matrices=False)
        pts = pts @ v[:2].T
    elif means.shape[1] == 1:
        pts = torch.cat([pts, torch.zeros_like(pts)], dim=1)
    fig, ax = subplots(figsize=(6, 5.4))
    for r in (1, 2, 3):
        ax.add_patch(Circle((0, 0), r, fill=False, ls="--", lw=0.8, color="0.5"))
    colours = labels.numpy() if labels is not None else None
    sc = ax.scatter(pts[:, 0], pts[:, 1], c=colours, cmap="tab10", s=4, alpha=0.7)
    if labels is not None:
        fig.colorbar(sc, ax=ax, label="class")
    ax.set_aspect("equal")
    ax.set_xlabel("PC 1 of the means" if projected else "z1")
    ax.set_ylabel("PC 2 of the means" if projected else "z2")
    ax.set_title("Encoded test set over the prior N(0, I) (circles: 1, 2, 3 sigma)", fontsize=10)
    save_figure(fig, Path(out_path))
    return {"n": len(x), "projected": projected, "mean_norm": float(means.norm(dim=1).mean()),
            "mean": [float(v) for v in means.mean(0)[:8]]}


def latent_histograms(run, out_path, *, n: int = 2000, dims: int = 8, seed: int = 0) -> dict:
    """Per-dimension histograms of z over the test set against the N(0, 1) density.

    VAE: z ~ q(z|x) for each test image (samples of the aggregate posterior, which should match the prior);
    AE: the codes themselves. Returns each shown dimension's mean and std.
    """
    x, _ = test_images(run, n)
    _, z = encoded(run, x, seed=seed)
    z = z.double().cpu()
    shown = min(dims, z.shape[1])
    cols = min(4, shown)
    rows = math.ceil(shown / cols)
    fig, axes = subplots(rows, cols, figsize=(3.0 * cols, 2.4 * rows), squeeze=False)
    grid = np.linspace(-4, 4, 200)
    for j, ax in enumerate(axes.flat):
        if j >= shown:
            ax.axis("off")
            continue
        ax.hist(z[:, j].numpy(), bins=40, density=True, alpha=0.6, label="z")
        ax.plot(grid, np.exp(-grid ** 2 / 2) / math.sqrt(2 * math.pi), "k-", lw=1, label="N(0, 1)")
        ax.set_title(f"dim {j}: mean {z[:, j].mean():.2f}, std {z[:, j].std():.2f}", fontsize=8)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Latent values over the test set vs the prior", fontsize=10)
    fig.tight_layout()
    save_figure(fig, Path(out_path))
    return {"mean": [float(v) for v in z.mean(0)[:shown]], "std": [float(v) for v in z.std(0)[:shown]]}


def kl_per_dim(run, out_path, *, n: int = 2000, threshold: float = 0.01, seed: int = 0) -> dict:
    """Mean KL(q(z_j|x) || N(0, 1)) per latent dimension, sorted, with the active-unit count.

    A unit is active when the encoder's mean for it varies with x: Cov_x(E_q[z_j]) > 0.01 (Burda et al. 2015,
    sec. 5.2); an inactive unit's posterior is the prior (KL ~ 0): the "posterior collapse" of that dim.
    """
    _need(run, "vae", "the KL-per-dimension figure")
    from genlab.objectives.elbo import kl_to_standard_normal_per_dim

    x, _ = test_images(run, n)
    mu, logvar = run.task.posterior(x)
    kl = kl_to_standard_normal_per_dim(mu, logvar).mean(0).double().cpu()
    activity = mu.double().var(0).cpu() if len(x) > 1 else torch.zeros_like(kl)
    active = activity > threshold
    order = torch.argsort(kl, descending=True)
    fig, ax = subplots(figsize=(max(4.0, 0.25 * len(kl) + 2), 3.2))
    ax.bar(range(len(kl)), kl[order].numpy(), color=["C0" if a else "0.7" for a in active[order].tolist()])
    ax.set_xticks(range(len(kl)), [str(int(i)) for i in order], fontsize=6)
    ax.set_xlabel("latent dimension (sorted; grey: inactive)")
    ax.set_ylabel("mean KL (nats)")
    ax.set_title(f"KL per latent dimension: {int(active.sum())} of {len(kl)} units active", fontsize=10)
    save_figure(fig, Path(out_path))
    return {"kl_per_dim": [float(v) for v in kl], "kl_total": float(kl.sum()),
            "active_units": int(active.sum()), "activity": [float(v) for v in activity]}


def train_run(family: str, spec: str, run_dir, *, max_steps: int, batch_size: int = 64, seed: int = 0,
              lr: float | None = None, image_size: int | None = None, device: str = "cpu", **model):
    """Train a small run (tests, `--quick` lecture figures) and load it: the experiments' other input."""
    from genlab.config.families import from_options
    from genlab.training import loop
    from genlab.training.device import resolve_device
    from genlab.training.runfolder import load_run

    options = {"data": spec, "image_size": image_size, "epochs": 0, "max_steps": max_steps,
               "batch_size": batch_size, "seed": seed, "device": device, **model}
    config = from_options(family, options if lr is None else {**options, "lr": lr})
    loop.train(config, Path(run_dir), force=True, progress=False)
    return load_run(Path(run_dir), device=resolve_device(device))
