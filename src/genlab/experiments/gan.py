"""The lecture's GAN slides as experiments: each function trains real runs, writes a figure, returns numbers.

- `stages_experiment`: the simple 1-D example in the style of Goodfellow et al. 2014, Fig. 1 (p_data, p_g,
  D(x) and the optimum D*(x) at several stages), plus the equilibrium plot (D(x), D(G(z)) -> 1/2).
- `saturation_experiment`: "usually the discriminator wins": with D ahead, the min-max generator loss
  E[log(1 - D(G(z)))] has a vanishing gradient (its logit-gradient is D(G(z)) -> 0), the non-saturating
  -E[log D(G(z))] does not (Goodfellow et al. 2014, Sec. 3).
- `optimum_experiment`: a D trained against a fixed affine G (p_g Gaussian in closed form) against D*, and
  V(D*, G) against -log 4 + 2 JSD(p_data || p_g) (Thm. 1).
The `plot_*` functions draw from a run's files; `genlab plot DIR KIND` reaches them through the families' PLOTS.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import torch

from genlab import io
from genlab.config.gan_1d import Config as Gan1dConfig
from genlab.report.figures import save_figure, subplots

HALF = 0.5


def _train_rows(metrics_path: Path) -> list[dict]:
    return [r for r in io.read_jsonl(metrics_path) if r.get("split") == "train"]


def _series(rows: list[dict], key: str) -> tuple[list, list]:
    pts = [(r["step"], r[key]) for r in rows if key in r]
    return ([p[0] for p in pts], [p[1] for p in pts]) if pts else ([], [])


def plot_game(metrics_path: Path, out_path: Path) -> None:
    """Three panels over steps: mean D(x) and D(G(z)); loss_d and loss_g; gradient norms of D and G (log)."""
    rows = _train_rows(metrics_path)
    fig, axes = subplots(1, 3, figsize=(13, 3.4))
    for key, label in (("d_real", "mean D(x)"), ("d_fake", "mean D(G(z))")):
        axes[0].plot(*_series(rows, key), label=label)
    axes[0].axhline(HALF, color="gray", ls=":", lw=1)
    axes[0].set_ylim(-0.02, 1.02)
    for key in ("loss_d", "loss_g"):
        axes[1].plot(*_series(rows, key), label=key)
    axes[1].axhline(math.log(4), color="gray", ls=":", lw=1, label="log 4 (E_D at equilibrium)")
    for key, label in (("grad_norm_d", "|grad D|"), ("grad_norm_g", "|grad G|")):
        axes[2].plot(*_series(rows, key), label=label)
    axes[2].set_yscale("log")
    for ax, title in zip(axes, ("discriminator outputs", "losses", "gradient norms")):
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out_path)


def plot_equilibrium(metrics_path: Path, out_path: Path) -> None:
    """Mean D(x) and D(G(z)) over training; at the game's equilibrium both are 1/2 (Goodfellow et al., Sec. 4)."""
    rows = _train_rows(metrics_path)
    fig, ax = subplots(figsize=(6, 3.4))
    ax.plot(*_series(rows, "d_real"), label="mean D(x), data")
    ax.plot(*_series(rows, "d_fake"), label="mean D(G(z)), generated")
    ax.axhline(HALF, color="black", ls=":", lw=1, label="1/2: D cannot tell them apart")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("step")
    ax.set_title("equilibrium: the discriminator is defeated")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out_path)


def _stage_panel(ax, snap: dict) -> None:
    """One panel of Fig. 1: p_data (black dots), p_g (green), D (blue dashes), D* (gray), and G's map z -> x."""
    x = snap["x"]
    if snap.get("p_data") is not None:
        ax.plot(x, snap["p_data"], ":", color="black", lw=2, label="p_data")
    ax.plot(x, snap["p_g"], "-", color="green", label="p_g" + ("" if snap.get("p_g_exact") else " (KDE)"))
    if snap.get("d") is not None:
        ax.plot(x, snap["d"], "--", color="blue", label="D(x)")
    elif snap.get("critic") is not None:  # a Wasserstein/hinge critic's scores are unbounded: drawn on [0, 1]
        f = torch.tensor(snap["critic"])
        ax.plot(x, ((f - f.min()) / max(float(f.max() - f.min()), 1e-12)).tolist(), "--", color="blue",
                label="critic f(x), rescaled to [0, 1]")
    if snap.get("d_star") is not None:  # drawn only where some sample can land (elsewhere D* is 0/0 noise)
        mass = torch.tensor(snap["p_data"]) + torch.tensor(snap["p_g"])
        d_star = torch.tensor(snap["d_star"]).masked_fill(mass < 0.02 * float(mass.max()), float("nan"))
        ax.plot(x, d_star.tolist(), "-.", color="gray", lw=1, label="D* = p_data/(p_data+p_g)")
    if snap.get("z") is not None:  # the paper's lower panel: lines from z (bottom) to x = G(z) (axis)
        z, gz = torch.tensor(snap["z"]), snap["gz"]
        lo, hi = min(x), max(x)
        zs = lo + (z - z.min()) / max(float(z.max() - z.min()), 1e-9) * (hi - lo)
        for a, b in zip(zs.tolist(), gz):
            ax.plot([a, b], [-0.25, -0.02], color="black", lw=0.5, alpha=0.6)
        ax.axhline(-0.25, color="black", lw=0.5)
        ax.text(lo, -0.23, "z", fontsize=8)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_ylim(-0.3, 1.05)
    ax.set_title(f"step {snap['step']}")
    ax.set_xlabel("x")


def plot_stages(snapshots: list[dict], out_path: Path, *, max_panels: int = 4) -> None:
    """Fig. 1 of Goodfellow et al. 2014 at up to `max_panels` stages (evenly chosen from the snapshots)."""
    if not snapshots:
        from genlab.errors import UsageError

        raise UsageError("no stage snapshots in this run's samples/ (train it for at least one epoch)")
    if len(snapshots) > max_panels:
        picks = [round(i * (len(snapshots) - 1) / (max_panels - 1)) for i in range(max_panels)]
        snapshots = [snapshots[i] for i in picks]
    fig, axes = subplots(1, len(snapshots), figsize=(4 * len(snapshots), 3.4), squeeze=False)
    for ax, snap in zip(axes[0], snapshots):
        _stage_panel(ax, snap)
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    save_figure(fig, out_path)


def plot_saturation(runs: dict[str, list[dict]], out_path: Path) -> None:
    """Per run (label -> train rows): mean D(G(z)) (top) and G's gradient norm (bottom, log) over steps."""
    fig, axes = subplots(2, 1, figsize=(6.5, 5.5), sharex=True)
    for label, rows in runs.items():
        axes[0].plot(*_series(rows, "d_fake"), label=label)
        axes[1].plot(*_series(rows, "grad_norm_g"), label=label)
    axes[0].set_ylabel("mean D(G(z))")
    axes[0].set_ylim(-0.02, 1.02)
    axes[0].set_title("D wins early; only the non-saturating G keeps a gradient")
    axes[1].set_ylabel("|grad of G's loss wrt G|")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("step")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out_path)


# ---- experiments: real runs through the training loop ------------------------------------------------

@contextlib.contextmanager
def single_thread():
    """The 1-D nets are a few hundred weights: intra-op threads only add synchronisation, and on a busy machine
    they cost 10x or more (measured: 160 ms vs 10 ms per step on 2 shared cores). Restored on exit."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def config_1d(model, *, data: str, max_steps: int, seed: int, batch_size: int = 128, log_every: int = 5):
    from genlab.config import DataConfig, RunConfig, TrainConfig
    from genlab.config.gan_1d import DEFAULT_LR

    lr = model.lr_d if model.lr_d is not None else DEFAULT_LR
    train = TrainConfig(epochs=0, max_steps=max_steps, batch_size=batch_size, lr=lr, seed=seed,
                        device="cpu", log_every=log_every, checkpoint_every=10**9)
    return RunConfig(family="gan-1d", data=DataConfig(spec=data), model=model, train=train)


def _train(config, run_dir: Path, *, resume: bool) -> None:
    from genlab.training.loop import train

    with single_thread():
        train(config, run_dir, resume=resume, force=not resume, progress=False)


def stages_experiment(out_dir: Path, *, steps: tuple[int, ...] = (1, 150, 500, 2000), seed: int = 0,
                      data: str = "gauss-1d") -> dict:
    """One gan-1d run (MLP G and D, non-saturating loss) stopped and resumed at each of `steps`, a snapshot of
    the game at each; writes gan_1d_stages.png (Fig. 1 style) and gan_1d_equilibrium.png under out_dir.

    Returns per stage: step, max |D - D*| over the data's central 95% (D* from the KDE of p_g), and
    mean D(x), D(G(z)) of the last logged rows.
    """
    from genlab.training import gan_1d

    out_dir, run_dir = Path(out_dir), Path(out_dir) / "gan-1d-stages"
    model = Gan1dConfig()
    snaps = []
    for i, stop in enumerate(sorted(steps)):
        _train(config_1d(model, data=data, max_steps=stop, seed=seed), run_dir, resume=i > 0)
        snaps.append(next(s for s in reversed(gan_1d.read_snapshots(run_dir)) if s["step"] == stop))
    plot_stages(snaps, out_dir / "gan_1d_stages.png")
    plot_equilibrium(run_dir / "metrics.jsonl", out_dir / "gan_1d_equilibrium.png")
    rows = _train_rows(run_dir / "metrics.jsonl")
    tail = rows[-max(1, len(rows) // 10):]
    return {"stages": [{"step": s["step"], "max_abs_d_minus_d_star": _central_gap(s)} for s in snaps],
            "final_d_real": sum(r["d_real"] for r in tail) / len(tail),
            "final_d_fake": sum(r["d_fake"] for r in tail) / len(tail), "run_dir": str(run_dir)}


def _central_gap(snap: dict) -> float | None:
    """max |D - D*| where p_data holds 95% of its mass (D* is unconstrained where no data lies)."""
    if snap.get("d_star") is None:
        return None
    x, p = torch.tensor(snap["x"]), torch.tensor(snap["p_data"])
    cdf = torch.cumulative_trapezoid(p, x)
    inside = torch.cat([torch.zeros(1, dtype=torch.bool), (cdf > 0.025) & (cdf < 0.975)])
    gap = (torch.tensor(snap["d"]) - torch.tensor(snap["d_star"])).abs()[inside]
    return float(gap.max())


def saturation_experiment(out_dir: Path, *, steps: int = 600, seed: int = 0, data: str = "gauss-1d") -> dict:
    """Two gan-1d runs that differ only in the generator loss, with D given a head start (5 D-steps per G-step
    at 3x G's learning rate), so D soon rejects G's samples with confidence. Writes gan_saturation.png.

    Returns per loss: median G gradient norm and mean D(G(z)) over the rows where D is confident
    (mean D(G(z)) < 0.1), and the final mean D(G(z)).
    """

    out_dir = Path(out_dir)
    runs, numbers = {}, {}
    for loss in ("minimax", "non-saturating"):
        model = Gan1dConfig(loss=loss, d_steps=5, lr_d=3e-3, lr_g=1e-3)
        run_dir = out_dir / f"gan-1d-{loss}"
        _train(config_1d(model, data=data, max_steps=steps, seed=seed, log_every=5), run_dir, resume=False)
        rows = _train_rows(run_dir / "metrics.jsonl")
        runs[loss] = rows
        confident = [r for r in rows if r["d_fake"] < 0.1]
        norms = sorted(r["grad_norm_g"] for r in confident)
        numbers[loss] = {"confident_rows": len(confident),
                         "median_grad_norm_g_while_confident": norms[len(norms) // 2] if norms else None,
                         "final_d_fake": rows[-1]["d_fake"]}
    plot_saturation(runs, out_dir / "gan_saturation.png")
    return numbers


def optimum_experiment(out_dir: Path | None = None, *, a: float = 0.8, b: float = 3.5, steps: int = 400,
                       batch_size: int = 512, seed: int = 0, data: str = "gauss-1d") -> dict:
    """Train D alone against the fixed affine G(z) = a z + b (p_g = N(b, a^2)) and compare with Prop. 1 and
    Thm. 1 of Goodfellow et al. 2014. In-process (no run folder), through the gan-1d task's own steps.

    Returns: grid (over the data's central 95%), d, d_star, max_abs_error, value_at_d_star (integral),
    minus_log4_plus_2jsd, value_at_trained_d (integral); writes gan_optimum.png when out_dir is given.
    """
    from genlab.data.toy import density_of
    from genlab.objectives.gan import jensen_shannon, optimal_discriminator, value_at_optimum, value_function

    task, dataset = _fixed_generator_task(a=a, b=b, seed=seed, data=data, batch_size=batch_size)
    x = dataset.train.images
    gen = torch.Generator().manual_seed(seed)
    with single_thread():
        for step in range(steps):
            task.train_step(x[torch.randint(len(x), (batch_size,), generator=gen)], None, step)
    q = torch.quantile(x.flatten().double(), torch.tensor([0.025, 0.975], dtype=torch.float64))
    grid = torch.linspace(float(q[0]), float(q[1]), 200, dtype=torch.float64)
    wide = torch.linspace(float(x.min()) - 6 * abs(a), float(x.max()) + 6 * abs(a), 20001, dtype=torch.float64)
    p_data = density_of(data)
    with torch.no_grad():
        d = torch.sigmoid(task.D(grid.float()[:, None])).double()
        d_wide = torch.sigmoid(task.D(wide.float()[:, None])).double()
    p_g_grid, _ = task.generator_density(grid)
    pd_w, pg_w = p_data(wide).double(), task.generator_density(wide)[0]
    d_star = optimal_discriminator(p_data(grid).double(), p_g_grid)
    result = {"grid": grid, "d": d, "d_star": d_star, "max_abs_error": float((d - d_star).abs().max()),
              "value_at_d_star": float(value_at_optimum(pd_w, pg_w, wide)),
              "minus_log4_plus_2jsd": -math.log(4) + 2 * float(jensen_shannon(pd_w, pg_w, wide)),
              "value_at_trained_d": float(value_function(d_wide, pd_w, pg_w, wide))}
    if out_dir is not None:
        _plot_optimum(result, Path(out_dir) / "gan_optimum.png", a=a, b=b)
    return result


def _fixed_generator_task(*, a: float, b: float, seed: int, data: str, batch_size: int):
    model = Gan1dConfig(generator="affine", affine_init=(a, b), freeze_generator=True)
    return gan_1d_task(model, seed=seed, data=data, batch_size=batch_size)


def gan_1d_task(model, *, seed: int, data: str = "gauss-1d", batch_size: int = 128):
    """(gan-1d Task built from `model` (a gan_1d.Config) and bound to its data, the dataset), for experiments
    that step the game in-process."""
    from genlab.config import DataConfig, RunConfig, TrainConfig
    from genlab.data import load
    from genlab.training import gan_1d
    from genlab.training.loop import data_info

    dataset = load(data)
    config = RunConfig(family="gan-1d", data=DataConfig(spec=data), model=model,
                       train=TrainConfig(seed=seed, batch_size=batch_size, device="cpu"))
    torch.manual_seed(seed)
    task = gan_1d.Task(config, data_info(dataset), torch.device("cpu"))
    task.bind_data(dataset)
    return task, dataset


def _plot_optimum(result: dict, out_path: Path, *, a: float, b: float) -> None:
    fig, ax = subplots(figsize=(6, 3.4))
    ax.plot(result["grid"], result["d_star"], color="black", label="D* = p_data / (p_data + p_g)")
    ax.plot(result["grid"], result["d"], "--", color="blue", label="D trained against the fixed G")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("x")
    ax.set_title(f"fixed G(z) = {a:g} z + {b:g}: max |D - D*| = {result['max_abs_error']:.3f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out_path)
