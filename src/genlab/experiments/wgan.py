"""Beyond the lecture, "what if D wins too well?": the Wasserstein GAN with a gradient penalty (Gulrajani et al.
2017) on the lecture's 1-D data, N(4, 0.5^2), where the Wasserstein-1 distance is known exactly. In-process,
through the gan-1d task's own steps (as `gan.optimum_experiment`).

- `critic_gaps`: the critic alone against fixed affine G's, G(z) = 0.5 z + 4 - w, so that p_g is the data shifted
  by w and W1(p_data, p_g) = w. The critic f then has slope s on the data's side of the shift, and the penalised
  objective w s - lambda (s - 1)^2 peaks at s = 1 + w / (2 lambda): the trained critic's gap E f(x) - E f(G(z))
  should be w (1 + w / (2 lambda)), a little above W1 itself.
- `wrong_sign_count`: the two-sided penalty lambda (|f'| - 1)^2 is lambda at slope 0, a barrier in 1-D: a critic
  whose slope starts with the wrong sign gains 2w by turning round, less than lambda for w < 5, and stays there,
  scoring G above the data. The one-sided penalty max(0, |f'| - 1)^2 has no barrier.
- `train_generator`: an MLP G trained against the critic with a head start (5 critic steps per G step at 3x G's
  learning rate, the lecture's saturation setting), the exact W1 of G's samples traced; `minimax_baseline` is
  the same head start in the original game, whose G gradient vanishes once D is confident.
"""

from __future__ import annotations

import statistics

import torch

from genlab.config.gan_1d import Config as Gan1dConfig
from genlab.data.toy import GAUSS_MEAN, GAUSS_STD
from genlab.experiments.gan import gan_1d_task, single_thread
from genlab.metrics import wasserstein
from genlab.report.figures import save_figure, subplots

GP_WEIGHT = 10.0
HEAD_START = {"d_steps": 5, "lr_d": 3e-3, "lr_g": 1e-3}  # as the considerations section's saturation runs
PROBE = 20_000  # G samples behind each exact W1 and critic gap


def penalised_optimum(w1: float) -> float:
    """The best critic's gap at this section's penalty weight (genlab.metrics.wasserstein)."""
    return wasserstein.penalised_optimum(w1, GP_WEIGHT)


def _fit(task, x: torch.Tensor, steps: int, *, seed: int, batch_size: int, every: int | None = None, probe=None):
    """`steps` game steps on random batches of x; with `every`, probe(step, metrics) after every that many."""
    gen = torch.Generator().manual_seed(seed)
    trace = []
    with single_thread():
        for step in range(steps):
            metrics = task.train_step(x[torch.randint(len(x), (batch_size,), generator=gen)], None, step)
            if every and (step % every == every - 1 or step == 0):
                trace.append(probe(step + 1, metrics))
    return trace


@torch.no_grad()
def _probe_samples(task, *, seed: int) -> torch.Tensor:
    return task.sample(PROBE, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def _gap(task, x: torch.Tensor, g: torch.Tensor) -> float:
    """E f(x) over the data minus E f(G(z)) over the samples g of G."""
    return float(task.D(x).mean() - task.D(g).mean())


def critic_gap(w1: float, *, one_sided: bool, seed: int, steps: int, batch_size: int = 512) -> float:
    """The trained critic's gap against G(z) = 0.5 z + 4 - w1 (fixed), for W1(p_data, p_g) = w1 exactly."""
    model = Gan1dConfig(loss="wgan-gp", gp_weight=GP_WEIGHT, gp_one_sided=one_sided, generator="affine",
                        affine_init=(GAUSS_STD, GAUSS_MEAN - w1), freeze_generator=True)
    task, dataset = gan_1d_task(model, seed=seed, batch_size=batch_size)
    x = dataset.train.images
    _fit(task, x, steps, seed=seed, batch_size=batch_size)
    return _gap(task, x, _probe_samples(task, seed=seed + 1))


def critic_gaps(w1_values: tuple[float, ...], *, steps: int, seed: int) -> list[float]:
    return [critic_gap(w, one_sided=True, seed=seed, steps=steps) for w in w1_values]


def wrong_sign_count(seeds: range, *, one_sided: bool, steps: int, w1: float = 1.0) -> int:
    """How many of the seeds' critics end with a negative gap (scoring G's samples above the data)."""
    return sum(critic_gap(w1, one_sided=one_sided, seed=s, steps=steps) < 0 for s in seeds)


def generator_model() -> Gan1dConfig:
    """The nets and game of `train_generator`: the one-sided WGAN-GP critic with a head start."""
    return Gan1dConfig(loss="wgan-gp", gp_weight=GP_WEIGHT, gp_one_sided=True, **HEAD_START)


def generator_command(*, steps: int, seed: int, batch_size: int = 128, out: str = "runs/wgan-1d") -> str:
    """The `genlab train gan-1d` line for the same nets, game and budget as `train_generator` (the CLI draws
    epoch-ordered batches where this draws them at random)."""
    from genlab.config import DataConfig, RunConfig, TrainConfig
    from genlab.config.command import train_command

    config = RunConfig(family="gan-1d", data=DataConfig(spec="gauss-1d"), model=generator_model(),
                       train=TrainConfig(seed=seed, batch_size=batch_size, epochs=0, max_steps=steps))
    return train_command(config, out=out)


def train_generator(*, steps: int, seed: int, every: int = 25, batch_size: int = 128) -> list[dict]:
    """The MLP G against the one-sided WGAN-GP critic with a head start; per probe: step, the exact W1 of G's
    samples to N(4, 0.5^2), the critic's gap (its estimate), and G's last gradient norm."""
    model = generator_model()
    task, dataset = gan_1d_task(model, seed=seed, batch_size=batch_size)
    x = dataset.train.images

    def probe(step: int, metrics: dict) -> dict:
        g = _probe_samples(task, seed=seed + 1)
        return {"step": step, "w1": wasserstein.w1_samples_to_normal(g, GAUSS_MEAN, GAUSS_STD),
                "gap": _gap(task, x, g), "grad_norm_g": float(metrics["grad_norm_g"])}

    return _fit(task, x, steps, seed=seed, batch_size=batch_size, every=every, probe=probe)


def minimax_baseline(*, steps: int, seed: int, batch_size: int = 128) -> list[dict]:
    """The original game's min-max G with the same head start: per step, G's gradient norm and mean D(G(z))."""
    task, dataset = gan_1d_task(Gan1dConfig(loss="minimax", **HEAD_START), seed=seed, batch_size=batch_size)
    return _fit(task, dataset.train.images, steps, seed=seed, batch_size=batch_size, every=1,
                probe=lambda step, m: {"step": step, "grad_norm_g": float(m["grad_norm_g"]),
                                       "d_fake": float(m["d_fake"])})


def summarise(trace: list[dict], minimax: list[dict]) -> dict:
    """The section's measured numbers from the two training traces."""
    far = [r["grad_norm_g"] for r in trace if r["w1"] > 1 and r["step"] > 1]
    confident = [r["grad_norm_g"] for r in minimax if r["d_fake"] < 0.1]
    return {"w1_start": trace[0]["w1"], "w1_end": trace[-1]["w1"], "gap_end": trace[-1]["gap"],
            "wgan_grad_norm_g_far": statistics.median(far) if far else None, "wgan_far_probes": len(far),
            "minimax_grad_norm_g": statistics.median(confident) if confident else None,
            "minimax_confident_steps": len(confident)}


def plot(w1_values, gaps, trace: list[dict], minimax: list[dict], out_path) -> None:
    """Three panels: the fixed-G critic gaps against W1; W1 and the critic's estimate over G's training; G's
    gradient norm under the critic and under the min-max game."""
    fig, axes = subplots(1, 3, figsize=(14, 3.6))
    grid = torch.linspace(0, max(w1_values) * 1.1, 50)
    axes[0].plot(grid, grid, ":", color="gray", label="W1 (exact)")
    axes[0].plot(grid, [penalised_optimum(float(w)) for w in grid], "-", color="black",
                 label=f"penalised optimum W1 (1 + W1 / {2 * GP_WEIGHT:g})")
    axes[0].plot(w1_values, gaps, "o", color="blue", label="trained critic's gap")
    axes[0].set_xlabel("W1(p_data, p_g), fixed G")
    axes[0].set_title("the critic estimates W1")
    steps = [r["step"] for r in trace]
    axes[1].plot(steps, [r["w1"] for r in trace], color="black", label="exact W1(p_g, p_data)")
    axes[1].plot(steps, [r["gap"] for r in trace], "--", color="blue", label="critic's gap E f(x) - E f(G(z))")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("step")
    axes[1].set_title("training G against the critic")
    axes[2].plot(steps, [r["grad_norm_g"] for r in trace], color="blue", label="|grad G|, WGAN-GP")
    axes[2].plot([r["step"] for r in minimax], [r["grad_norm_g"] for r in minimax], color="red", alpha=0.7,
                 label="|grad G|, min-max game")
    axes[2].set_yscale("log")
    axes[2].set_xlabel("step")
    axes[2].set_title("D ahead: the critic's gradient does not vanish")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out_path)
