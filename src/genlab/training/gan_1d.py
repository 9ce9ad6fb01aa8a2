"""The lecture's simple 1-D GAN (`genlab train gan-1d --data gauss-1d`): small MLP (or affine) G and MLP D on
1-D data, where p_data is known exactly, so D can be compared with the optimum D* = p_data / (p_data + p_g)
(Goodfellow et al. 2014, Prop. 1 and Fig. 1).

Data (genlab.data.toy): `gauss-1d` is N(4, 0.5^2); `gauss-1d-mixture` is 0.5 N(2, 0.5^2) + 0.5 N(6, 0.5^2).
At every epoch end (and at the last step) a snapshot of the game goes to samples/stage_STEP.json: a grid, the
data density, the generator density (exact for an affine G, a Gaussian KDE of G's samples otherwise), D(x)
and D*(x) on the grid; `genlab plot DIR stages` draws them in the style of Fig. 1 of the paper.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from genlab import io
from genlab.config import RunConfig
from genlab.config.gan import CRITIC_LOSSES
from genlab.data.toy import density_of
from genlab.errors import UsageError
from genlab.models.gan import AffineGenerator, MLPDiscriminator, MLPGenerator, Standardize
from genlab.objectives.gan import discriminator_loss, gaussian_density, optimal_discriminator
from genlab.training import task as base
from genlab.training.capabilities import Sampler
from genlab.training.gan import AdversarialGame, draw_noise, learning_rates
from genlab.training.task import DataInfo

SNAPSHOT_SAMPLES = 20000   # G samples behind the KDE of p_g in a snapshot
GRID_POINTS = 400


def check_data(info: DataInfo) -> None:
    if info.kind != "toy" or tuple(info.sample_shape) != (1,):
        raise UsageError(f"gan-1d needs 1-D toy data (gauss-1d, gauss-1d-mixture), got {info.kind} data of shape "
                         f"{list(info.sample_shape)}")


def kde(samples: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Gaussian kernel density estimate of 1-D samples (N,) on grid (M,), Silverman's bandwidth (float64)."""
    s = samples.double().flatten()
    spread = min(float(s.std()), float(s.quantile(0.75) - s.quantile(0.25)) / 1.34) or float(s.std())
    h = max(0.9 * spread * len(s) ** -0.2, 1e-3)
    return torch.exp(-0.5 * ((grid.double()[:, None] - s[None, :]) / h) ** 2).mean(1) / (h * math.sqrt(2 * math.pi))


class Task(base.Task, Sampler):
    def __init__(self, config: RunConfig, info: DataInfo, device: torch.device):
        super().__init__(config, info, device)
        mc = config.model
        check_data(info)
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
                                    latent_dim=mc.latent_dim, gp_weight=mc.gp_weight,
                                    gp_one_sided=mc.gp_one_sided)
        self.critic = mc.loss in CRITIC_LOSSES  # D is a real-valued critic: no D(x) probability, no D*
        self.p_data = density_of(config.data.spec)
        self._step = 0
        self._data_range = (-1.0, 1.0)

    def _optimizer(self, net: torch.nn.Module) -> torch.optim.Optimizer:
        mc = self.config.model
        lr_d, lr_g = learning_rates(mc, self.config.train)
        lr = lr_g if net is self.G else lr_d
        if mc.optimizer == "sgd":
            return torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
        return torch.optim.Adam(net.parameters(), lr=lr, betas=mc.betas)

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
        if self.critic:  # the critic's gap E f(x) - E f(G(z)): its estimate of the Wasserstein-1 distance
            real, fake_score = float(real_logits.mean()), float(fake_logits.mean())
            return {"score_real": real, "score_fake": fake_score, "critic_gap": real - fake_score}
        return {"loss_d": float(discriminator_loss(real_logits, fake_logits)),
                "d_real": float(torch.sigmoid(real_logits).mean()),
                "d_fake": float(torch.sigmoid(fake_logits).mean())}

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """(n, 1) samples of G (toy data: `genlab sample` and FID draw images only, they check the data kind)."""
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
        return kde(self.sample(SNAPSHOT_SAMPLES, generator=gen).cpu().flatten(), grid.cpu()), False

    @torch.no_grad()
    def snapshot(self, *, seed: int = 0, step: int | None = None) -> dict:
        """The game on a grid: x, p_data (None if unknown), p_g, D(x) and D*(x) (or, for a critic loss, the
        critic's scores f(x) and no D*), and G's map of 21 z quantiles. step: the label of a loaded model
        (default: the steps trained in this process)."""
        gen = torch.Generator(device=self.device).manual_seed(seed)
        gz = self.sample(4000, generator=gen).cpu().flatten()
        lo = min(self._data_range[0], float(gz.quantile(0.001))) - 1.0
        hi = max(self._data_range[1], float(gz.quantile(0.999))) + 1.0
        grid = torch.linspace(lo, hi, GRID_POINTS, dtype=torch.float64)
        p_g, exact = self.generator_density(grid, seed=seed)
        scores = self.D(grid.float().to(self.device)[:, None]).cpu().double()
        p_data = self.p_data(grid).double() if self.p_data is not None else None
        d_star = optimal_discriminator(p_data, p_g) if p_data is not None and not self.critic else None
        z = self._z_quantiles()
        d = None if self.critic else torch.sigmoid(scores).tolist()
        return {"step": self._step if step is None else step, "x": grid.tolist(), "p_g": p_g.tolist(), "p_g_exact": exact, "d": d,
                "critic": scores.tolist() if self.critic else None,
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
