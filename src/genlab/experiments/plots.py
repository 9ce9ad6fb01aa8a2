"""`genlab plot DIR KIND` and `run.plot(KIND)`: which figures each model family offers.

The registry lives here, above the families (genlab.training never imports a figure): each entry is a
function `fn(run, out_path, *, seed=0, **options)` taking a loaded run (`genlab.training.runfolder.LoadedRun`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from genlab.config.gan import CRITIC_LOSSES
from genlab.errors import UsageError
from genlab.experiments import autoencoders as aex
from genlab.experiments import dann as dex
from genlab.experiments import gan as gex
from genlab.report.figures import learning_curves


def curves(run, out_path: Path, **_) -> None:
    """Learning curves from metrics.jsonl (every family has them)."""
    from genlab import io

    if not io.read_jsonl(run.run_dir / "metrics.jsonl"):
        raise UsageError(f"curves: {run.run_dir / 'metrics.jsonl'} holds no metrics rows to draw")
    learning_curves(run.run_dir / "metrics.jsonl", out_path)


def gan_samples(run, out_path: Path, *, seed: int = 0, **_) -> None:
    """A grid of 64 samples (EMA generator when the run has one)."""
    from genlab.data import save_grid

    gen = torch.Generator(device=run.task.device).manual_seed(seed)
    save_grid(run.task.sample(64, generator=gen).cpu(), out_path, nrow=8)


def gan_game(run, out_path: Path, **_) -> None:
    """D(x), D(G(z)), both losses and both gradient norms over training (from metrics.jsonl)."""
    gex.plot_game(run.run_dir / "metrics.jsonl", out_path)


def gan_1d_stages(run, out_path: Path, **_) -> None:
    """Fig. 1 of Goodfellow et al. 2014 at up to four stages of the run (snapshots at epoch ends)."""
    from genlab.training.gan_1d import read_snapshots

    gex.plot_stages(read_snapshots(run.run_dir), out_path)


def gan_1d_densities(run, out_path: Path, *, seed: int = 0, **_) -> None:
    """p_data, p_g, D(x) and D*(x) of the trained model, one panel."""
    from genlab.data import load

    run.task.bind_data(load(run.config.data.spec))
    gex.plot_stages([run.task.snapshot(seed=seed, step=run.meta.get("step"))], out_path)


def gan_1d_equilibrium(run, out_path: Path, **_) -> None:
    """Mean D(x) and D(G(z)) over training, against the equilibrium value 1/2."""
    if run.config.model.loss in CRITIC_LOSSES:
        raise UsageError(f"equilibrium: D(x) = 1/2 is the original game's; a {run.config.model.loss} critic's scores "
                         "have no such value (plot `game` instead)")
    gex.plot_equilibrium(run.run_dir / "metrics.jsonl", out_path)


_CODE_MODELS = {"latent": aex.latent_scatter, "latent-hist": aex.latent_histograms, "manifold": aex.latent_manifold}

PLOTS: dict[str, dict[str, Callable]] = {
    "ae": {"recon": aex.ae_reconstruction, "latent-noise": aex.ae_latent_noise,
           "noise-decode": aex.ae_noise_decode, **_CODE_MODELS},
    "vae": {"recon": aex.vae_reconstruction, "samples": aex.vae_generation, "kl-per-dim": aex.kl_per_dim,
            "manifold-icdf": aex.latent_manifold_icdf, **_CODE_MODELS},
    "gan": {"game": gan_game, "samples": gan_samples},
    "gan-1d": {"stages": gan_1d_stages, "densities": gan_1d_densities, "equilibrium": gan_1d_equilibrium,
               "game": gan_game},
    "dann": {"boundary": dex.boundary_plot, "features": dex.features_plot},
}


def kinds(family: str) -> dict[str, Callable]:
    """Every figure a run of `family` offers, `curves` included."""
    return {"curves": curves, **PLOTS.get(family, {})}


def offered(run) -> list[str]:
    """The kinds this run can draw (`genlab plot DIR list`): its family's, less those its own config rules
    out (a manifold needs a 2-D code, decision regions need 2-D toy points); asking for those still says why."""
    out = set(kinds(run.config.family))
    if getattr(run.config.model, "latent_dim", 2) != 2:
        out -= {"manifold", "manifold-icdf"}
    if run.config.family == "dann" and run.meta.get("kind") != "toy":
        out.discard("boundary")
    return sorted(out)
