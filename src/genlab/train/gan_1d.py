"""The lecture's simple 1-D GAN (`genlab train gan-1d --data gauss-1d`): small MLP (or affine) G and MLP D on
1-D data, where p_data is known exactly, so D can be compared with the optimum D* = p_data / (p_data + p_g)
(Goodfellow et al. 2014, Prop. 1 and Fig. 1).

Data: `gauss-1d` is N(4, 0.5^2); `gauss-1d-mixture` (registered here, since genlab.data.toy builds the mixture
but registers only the single Gaussian) is 0.5 N(2, 0.5^2) + 0.5 N(6, 0.5^2).
At every epoch end (and at the last step) a snapshot of the game goes to samples/stage_STEP.json: a grid, the
data density, the generator density (exact for an affine G, a Gaussian KDE of G's samples otherwise), D(x)
and D*(x) on the grid; `genlab plot DIR stages` draws them in the style of Fig. 1 of the paper.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import torch

from genlab import io
from genlab.config import RunConfig
from genlab.data import register
from genlab.data.dataset import Dataset, Split
from genlab.data.toy import gauss_1d
from genlab.errors import UsageError
from genlab.models.gan import AffineGenerator, MLPDiscriminator, MLPGenerator, Standardize
from genlab.objectives.gan import (
    GENERATOR_LOSSES,
    discriminator_loss,
    gaussian_density,
    optimal_discriminator,
)
from genlab.train import task as base
from genlab.train.gan import NOISES, AdversarialGame, draw_noise, validate_game
from genlab.train.task import DataInfo

GENERATORS = ("mlp", "affine")
OPTIMIZERS = ("adam", "sgd")
DEFAULT_LR = 1e-3
MIXTURE_SPEC = "gauss-1d-mixture"
SNAPSHOT_SAMPLES = 20000   # G samples behind the KDE of p_g in a snapshot
GRID_POINTS = 400


@dataclass(frozen=True)
class Config:
    generator: str = "mlp"                   # mlp, or affine G(z) = a z + b (p_g Gaussian in closed form)
    affine_init: tuple[float, ...] = (1.0, 0.0)  # (a, b) an affine G starts from
    freeze_generator: bool = False           # never update G: D then converges to D* of a fixed p_g
    loss: str = "non-saturating"
    d_steps: int = 1
    lr_d: float = DEFAULT_LR
    lr_g: float = DEFAULT_LR
    optimizer: str = "adam"                  # adam (betas below) or sgd (momentum 0.9, as Goodfellow et al.)
    beta1: float = 0.5
    beta2: float = 0.999
    noise: str = "normal"
    latent_dim: int = 1
    g_hidden: tuple[int, ...] = (16, 16)
    d_hidden: tuple[int, ...] = (32, 32)     # D bigger than G, as the lecture's considerations slide says


def add_options(group) -> None:
    group.add_argument("--generator", choices=GENERATORS, default="mlp",
                       help="G: an MLP, or affine a*z + b whose p_g is known exactly (default: mlp)")
    group.add_argument("--affine-init", type=float, nargs=2, default=[1.0, 0.0], metavar=("A", "B"),
                       help="starting a and b of the affine G (default: 1 0)")
    group.add_argument("--freeze-generator", action="store_true",
                       help="train only D against a fixed G (D converges to D*)")
    group.add_argument("--loss", choices=GENERATOR_LOSSES, default="non-saturating",
                       help="generator loss: minimax (saturating) or non-saturating (default: non-saturating)")
    group.add_argument("--d-steps", type=int, default=1, metavar="K", help="D updates per G update (default: 1)")
    group.add_argument("--lr-d", type=float, default=None, help="discriminator learning rate (default: --lr)")
    group.add_argument("--lr-g", type=float, default=None, help="generator learning rate (default: --lr)")
    group.add_argument("--optimizer", choices=OPTIMIZERS, default="adam",
                       help="adam (with --betas) or sgd with momentum 0.9 (default: adam)")
    group.add_argument("--betas", type=float, nargs=2, default=[0.5, 0.999], metavar=("B1", "B2"),
                       help="Adam betas (default: 0.5 0.999)")
    group.add_argument("--noise", choices=NOISES, default="normal", help="z ~ N(0, I) or U(-1, 1) (default: normal)")
    group.add_argument("--latent-dim", type=int, default=1, help="size of z (default: 1)")
    group.add_argument("--g-hidden", type=int, nargs="+", default=[16, 16], help="G's MLP widths (default: 16 16)")
    group.add_argument("--d-hidden", type=int, nargs="+", default=[32, 32], help="D's MLP widths (default: 32 32)")


def config_from_args(args: argparse.Namespace) -> Config:
    lr = args.lr if args.lr is not None else DEFAULT_LR
    config = Config(generator=args.generator, affine_init=tuple(args.affine_init),
                  freeze_generator=args.freeze_generator, loss=args.loss, d_steps=args.d_steps,
                  lr_d=args.lr_d if args.lr_d is not None else lr, lr_g=args.lr_g if args.lr_g is not None else lr,
                  optimizer=args.optimizer, beta1=args.betas[0], beta2=args.betas[1], noise=args.noise,
                  latent_dim=args.latent_dim, g_hidden=tuple(args.g_hidden), d_hidden=tuple(args.d_hidden))
    validate_options(config)  # fail before a run folder is touched
    return config


def validate(config: Config, info: DataInfo) -> None:
    validate_options(config)
    if info.kind != "toy" or tuple(info.sample_shape) != (1,):
        raise UsageError(f"gan-1d needs 1-D toy data (gauss-1d, {MIXTURE_SPEC}), got {info.kind} data of shape "
                         f"{list(info.sample_shape)}")


def validate_options(config: Config) -> None:
    validate_game(loss=config.loss, d_steps=config.d_steps, lr_d=config.lr_d, lr_g=config.lr_g,
                  noise=config.noise, latent_dim=config.latent_dim, ema=None, betas=(config.beta1, config.beta2))
    if config.generator not in GENERATORS:
        raise UsageError(f"--generator {config.generator!r}: accepted {', '.join(GENERATORS)}")
    if config.optimizer not in OPTIMIZERS:
        raise UsageError(f"--optimizer {config.optimizer!r}: accepted {', '.join(OPTIMIZERS)}")
    if config.generator == "affine" and config.latent_dim != 1:
        raise UsageError(f"--latent-dim {config.latent_dim}: the affine generator maps a 1-D z; use 1")
    if len(config.affine_init) != 2:
        raise UsageError(f"--affine-init {list(config.affine_init)}: give two numbers, A and B")
    if any(h < 1 for h in (*config.g_hidden, *config.d_hidden)):
        raise UsageError(f"--g-hidden/--d-hidden {list(config.g_hidden)} {list(config.d_hidden)}: widths >= 1")


def data_density(spec: str):
    """The exact p_data of a known 1-D spec (a function on tensors), or None."""
    if spec == "gauss-1d":
        return gauss_1d(1, seed=0)[1]
    if spec == MIXTURE_SPEC:
        return gauss_1d(1, seed=0, mixture=True)[1]
    return None


def load_gauss_1d_mixture(*, image_size: int | None = None) -> Dataset:
    """10,000 train (seed 0) and 2,000 test (seed 1) samples of 0.5 N(2, 0.5^2) + 0.5 N(6, 0.5^2), (N, 1)."""
    train, _ = gauss_1d(10000, seed=0, mixture=True)
    test, _ = gauss_1d(2000, seed=1, mixture=True)
    return Dataset(name=MIXTURE_SPEC, train=Split(train), test=Split(test), classes=None, kind="toy",
                   source_note="samples of 0.5 N(2, 0.5^2) + 0.5 N(6, 0.5^2)")


def _describe_mixture() -> dict:
    return {"available": True, "how_to_get": "generated", "shape": (1,), "train_size": 10000, "test_size": 2000,
            "num_classes": None, "note": "1-D toy: a two-mode Gaussian mixture at 2 and 6 (std 0.5)"}


register(MIXTURE_SPEC, load_gauss_1d_mixture, describe=_describe_mixture, replace=True)


def kde(samples: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Gaussian kernel density estimate of 1-D samples (N,) on grid (M,), Silverman's bandwidth (float64)."""
    s = samples.double().flatten()
    spread = min(float(s.std()), float(s.quantile(0.75) - s.quantile(0.25)) / 1.34) or float(s.std())
    h = max(0.9 * spread * len(s) ** -0.2, 1e-3)
    return torch.exp(-0.5 * ((grid.double()[:, None] - s[None, :]) / h) ** 2).mean(1) / (h * math.sqrt(2 * math.pi))


class Task(base.Task):
    def __init__(self, config: RunConfig, info: DataInfo, device: torch.device):
        super().__init__(config, info, device)
        mc = config.model
        validate(mc, info)
        if mc.generator == "affine":
            self.G = AffineGenerator(*mc.affine_init).to(device)
        else:
            self.G = MLPGenerator(mc.latent_dim, mc.g_hidden, (1,), output="linear", activation="tanh").to(device)
        # D sees standardized x (shift/scale set from the train split in bind_data, saved with the weights)
        self.D = torch.nn.Sequential(Standardize(1), MLPDiscriminator((1,), mc.d_hidden)).to(device)
        self.modules = {"generator": self.G, "discriminator": self.D}
        self.optimizers = {"generator": self._optimizer(self.G), "discriminator": self._optimizer(self.D)}
        if mc.freeze_generator:
            for group in self.optimizers["generator"].param_groups:
                group["lr"] = 0.0  # G's updates are computed (its gradient norm is still logged) but move nothing
        self.game = AdversarialGame(self, loss=mc.loss, d_steps=mc.d_steps, noise=mc.noise,
                                    latent_dim=mc.latent_dim)
        self.p_data = data_density(config.data.spec)
        self._step = 0
        self._data_range = (-1.0, 1.0)

    def _optimizer(self, net: torch.nn.Module) -> torch.optim.Optimizer:
        mc = self.config.model
        lr = mc.lr_g if net is self.G else mc.lr_d
        if mc.optimizer == "sgd":
            return torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
        return torch.optim.Adam(net.parameters(), lr=lr, betas=(mc.beta1, mc.beta2))

    def bind_data(self, dataset) -> None:
        x = dataset.train.images.flatten()
        self._data_range = (float(x.min()), float(x.max()))
        self.D[0].shift.fill_(float(x.mean()))
        self.D[0].scale.fill_(float(x.std()))

    def train_step(self, x, y, step):
        self._step = step + 1
        return self.game.step(x, step)

    @torch.no_grad()
    def evaluate(self, x, y):
        gen = torch.Generator(device=self.device).manual_seed(self.config.train.seed + 2)
        fake = self.G(draw_noise(self.config.model.noise, len(x), self.config.model.latent_dim,
                                 device=self.device, generator=gen))
        real_logits, fake_logits = self.D(x), self.D(fake)
        return {"loss_d": float(discriminator_loss(real_logits, fake_logits)),
                "d_real": float(torch.sigmoid(real_logits).mean()),
                "d_fake": float(torch.sigmoid(fake_logits).mean())}

    @torch.no_grad()
    def draw(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """(n, 1) samples of G. (Not named `sample`: that capability means images for `genlab sample` and FID.)"""
        z = draw_noise(self.config.model.noise, n, self.config.model.latent_dim, device=self.device,
                       generator=generator)
        return self.G(z).reshape(n, 1)

    def generator_density(self, grid: torch.Tensor, *, seed: int = 0) -> tuple[torch.Tensor, bool]:
        """(p_g on grid (M,) float64, exact?): closed form for an affine G, else a KDE of G's samples."""
        mc = self.config.model
        if mc.generator == "affine":
            a, b = abs(float(self.G.a.detach())), float(self.G.b.detach())
            if mc.noise == "normal":
                return gaussian_density(grid.double(), b, max(a, 1e-12)), True
            inside = ((grid >= b - a) & (grid <= b + a)).double()  # U(-1, 1) maps to U(b - |a|, b + |a|)
            return inside / max(2 * a, 1e-12), True
        gen = torch.Generator(device=self.device).manual_seed(seed)
        return kde(self.draw(SNAPSHOT_SAMPLES, generator=gen).cpu().flatten(), grid.cpu()), False

    @torch.no_grad()
    def snapshot(self, *, seed: int = 0) -> dict:
        """The game on a grid: x, p_data (None if unknown), p_g, D(x), D*(x), and G's map of 21 z quantiles."""
        gen = torch.Generator(device=self.device).manual_seed(seed)
        gz = self.draw(4000, generator=gen).cpu().flatten()
        lo = min(self._data_range[0], float(gz.quantile(0.001))) - 1.0
        hi = max(self._data_range[1], float(gz.quantile(0.999))) + 1.0
        grid = torch.linspace(lo, hi, GRID_POINTS, dtype=torch.float64)
        p_g, exact = self.generator_density(grid, seed=seed)
        d = torch.sigmoid(self.D(grid.float().to(self.device)[:, None])).cpu().double()
        p_data = self.p_data(grid).double() if self.p_data is not None else None
        d_star = optimal_discriminator(p_data, p_g) if p_data is not None else None
        z = self._z_quantiles()
        return {"step": self._step, "x": grid.tolist(), "p_g": p_g.tolist(), "p_g_exact": exact, "d": d.tolist(),
                "p_data": None if p_data is None else p_data.tolist(),
                "d_star": None if d_star is None else d_star.tolist(),
                "z": z.flatten().tolist() if z.shape[1] == 1 else None,
                "gz": self.G(z.to(self.device)).cpu().flatten().tolist()}

    def _z_quantiles(self) -> torch.Tensor:
        """21 evenly spaced quantiles of the noise (first latent coordinate), the rest of z at 0."""
        u = torch.linspace(0.02, 0.98, 21)
        first = u * 2 - 1 if self.config.model.noise == "uniform" else torch.special.ndtri(u)
        z = torch.zeros(21, self.config.model.latent_dim)
        z[:, 0] = first
        return z

    def epoch_end(self, epoch: int, run_dir: Path) -> None:
        io.write_json(Path(run_dir) / "samples" / f"stage_{self._step:06d}.json", self.snapshot())


def read_snapshots(run_dir: Path) -> list[dict]:
    """The stage snapshots a run wrote, by step."""
    import json

    paths = sorted((Path(run_dir) / "samples").glob("stage_*.json"))
    return [json.loads(p.read_text()) for p in paths]


def _stages_plot(run, out_path: Path, **_) -> None:
    """Fig. 1 of Goodfellow et al. 2014 at up to four stages of the run (snapshots at epoch ends)."""
    from genlab.experiments.gan import plot_stages

    plot_stages(read_snapshots(run.run_dir), out_path)


def _densities_plot(run, out_path: Path, *, seed: int = 0, **_) -> None:
    """p_data, p_g, D(x) and D*(x) of the trained model, one panel."""
    from genlab.experiments.gan import plot_stages

    run.task.bind_data(_loaded(run))
    plot_stages([run.task.snapshot(seed=seed)], out_path)


def _loaded(run):
    from genlab.data import load

    return load(run.config.data.spec)


def _equilibrium_plot(run, out_path: Path, **_) -> None:
    """Mean D(x) and D(G(z)) over training, against the equilibrium value 1/2."""
    from genlab.experiments.gan import plot_equilibrium

    plot_equilibrium(run.run_dir / "metrics.jsonl", out_path)


def _game_plot(run, out_path: Path, **_) -> None:
    """D(x), D(G(z)), losses and gradient norms over training."""
    from genlab.experiments.gan import plot_game

    plot_game(run.run_dir / "metrics.jsonl", out_path)


PLOTS = {"stages": _stages_plot, "densities": _densities_plot, "equilibrium": _equilibrium_plot,
         "game": _game_plot}
