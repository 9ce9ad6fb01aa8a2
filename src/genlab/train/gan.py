"""GANs on images (`genlab train gan`): MLP or DCGAN nets, the min-max or the non-saturating generator loss.

One step follows Algorithm 1 of Goodfellow et al. 2014 with the loop's batches: every step is one
discriminator update on a fresh real batch; every K-th step (--d-steps K) the generator is updated too,
on the same generated batch (generated once per step, reused for D and G; pytorch/examples' dcgan does this).
"""

from __future__ import annotations

import argparse
import copy
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from genlab.config import RunConfig
from genlab.errors import UsageError
from genlab.models.gan import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from genlab.objectives.gan import GENERATOR_LOSSES, discriminator_loss, generator_loss
from genlab.train import task as base
from genlab.train.adam import make_adam
from genlab.train.task import DataInfo, TrainingDiverged

NETS = ("dcgan", "mlp")
NOISES = ("normal", "uniform")
DEFAULT_LR = 2e-4  # Radford et al. 2016, Sec. 4: Adam, lr 2e-4, beta1 0.5
GRID = 64          # fixed-noise samples per epoch grid


@dataclass(frozen=True)
class Config:
    net: str = "dcgan"                    # dcgan (conv, BN) or mlp
    loss: str = "non-saturating"          # generator loss: minimax (saturating, the lecture's E_G) or non-saturating
    d_steps: int = 1                      # discriminator updates per generator update (K in Algorithm 1)
    lr_d: float = DEFAULT_LR
    lr_g: float = DEFAULT_LR
    beta1: float = 0.5                    # Adam's beta1; 0.5 steadies the game (Radford et al. 2016)
    beta2: float = 0.999
    noise: str = "normal"                 # z ~ N(0, I) or U(-1, 1)^latent_dim
    latent_dim: int = 100
    ngf: int = 64                         # DCGAN widths: G's last hidden layer, D's first
    ndf: int = 64
    hidden: tuple[int, ...] = (512, 512)  # MLP widths (G in this order, D reversed)
    ema: float | None = None              # decay of an EMA copy of G's weights (None: no EMA)
    channels_last: bool = True            # NHWC memory layout for the conv nets (faster convolutions)


def add_options(group) -> None:
    group.add_argument("--net", choices=NETS, default="dcgan", help="network type (default: dcgan)")
    group.add_argument("--loss", choices=GENERATOR_LOSSES, default="non-saturating",
                       help="generator loss: minimax = E[log(1 - D(G(z)))] (the lecture's E_G = -E_D, saturates "
                            "when D wins) or non-saturating = -E[log D(G(z))] (default: non-saturating)")
    group.add_argument("--d-steps", type=int, default=1, metavar="K",
                       help="discriminator updates per generator update (default: 1)")
    group.add_argument("--lr-d", type=float, default=None, help="discriminator learning rate (default: --lr)")
    group.add_argument("--lr-g", type=float, default=None, help="generator learning rate (default: --lr)")
    group.add_argument("--betas", type=float, nargs=2, default=[0.5, 0.999], metavar=("B1", "B2"),
                       help="Adam betas for both nets (default: 0.5 0.999)")
    group.add_argument("--noise", choices=NOISES, default="normal",
                       help="latent prior: normal N(0, I) or uniform U(-1, 1) (default: normal)")
    group.add_argument("--latent-dim", type=int, default=100, help="size of z (default: 100)")
    group.add_argument("--ngf", type=int, default=64, help="DCGAN generator width (default: 64)")
    group.add_argument("--ndf", type=int, default=64, help="DCGAN discriminator width (default: 64)")
    group.add_argument("--hidden", type=int, nargs="+", default=[512, 512],
                       help="MLP hidden widths (default: 512 512)")
    group.add_argument("--ema", type=float, default=None, metavar="DECAY",
                       help="keep an exponential moving average of G's weights (e.g. 0.999); samples use it")
    group.add_argument("--no-channels-last", dest="channels_last", action="store_false",
                       help="keep the default NCHW layout for the conv nets")


def _lr(args, name: str) -> float:
    own = getattr(args, name)
    return own if own is not None else (args.lr if args.lr is not None else DEFAULT_LR)


def config_from_args(args: argparse.Namespace) -> Config:
    config = Config(net=args.net, loss=args.loss, d_steps=args.d_steps, lr_d=_lr(args, "lr_d"),
                  lr_g=_lr(args, "lr_g"), beta1=args.betas[0], beta2=args.betas[1], noise=args.noise,
                  latent_dim=args.latent_dim, ngf=args.ngf, ndf=args.ndf, hidden=tuple(args.hidden),
                  ema=args.ema, channels_last=args.channels_last)
    validate(config)  # fail before a run folder is touched
    return config


def validate_game(*, loss: str, d_steps: int, lr_d: float, lr_g: float, noise: str, latent_dim: int,
                  ema: float | None, betas: tuple[float, float]) -> None:
    """The options every GAN family shares; one UsageError line per bad value."""
    if loss not in GENERATOR_LOSSES:
        raise UsageError(f"--loss {loss!r}: accepted {', '.join(GENERATOR_LOSSES)}")
    if d_steps < 1:
        raise UsageError(f"--d-steps {d_steps}: must be at least 1")
    for name, lr in (("--lr-d", lr_d), ("--lr-g", lr_g)):
        if not lr > 0:
            raise UsageError(f"{name} {lr}: must be a positive number")
    if noise not in NOISES:
        raise UsageError(f"--noise {noise!r}: accepted {', '.join(NOISES)}")
    if latent_dim < 1:
        raise UsageError(f"--latent-dim {latent_dim}: must be at least 1")
    if ema is not None and not 0 < ema < 1:
        raise UsageError(f"--ema {ema}: the decay must lie strictly between 0 and 1 (e.g. 0.999)")
    if not all(0 <= b < 1 for b in betas):
        raise UsageError(f"--betas {list(betas)}: each must lie in [0, 1)")


def validate(config: Config) -> None:
    validate_game(loss=config.loss, d_steps=config.d_steps, lr_d=config.lr_d, lr_g=config.lr_g,
                  noise=config.noise, latent_dim=config.latent_dim, ema=config.ema,
                  betas=(config.beta1, config.beta2))
    if config.net not in NETS:
        raise UsageError(f"--net {config.net!r}: accepted {', '.join(NETS)}")
    for name, value in (("--ngf", config.ngf), ("--ndf", config.ndf)):
        if value < 1:
            raise UsageError(f"{name} {value}: must be at least 1")
    if any(h < 1 for h in config.hidden):
        raise UsageError(f"--hidden {list(config.hidden)}: widths must be at least 1")


def build_nets(config: Config, info: DataInfo) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) for image data of shape info.sample_shape = (C, H, W)."""
    validate(config)
    if info.kind != "image" or len(info.sample_shape) != 3:
        raise UsageError(f"the gan family trains on images, not {info.kind} data of shape "
                         f"{list(info.sample_shape)}; for the 1-D example use `genlab train gan-1d`")
    c, h, w = info.sample_shape
    if config.net == "mlp":
        return (MLPGenerator(config.latent_dim, config.hidden, info.sample_shape, output="tanh"),
                MLPDiscriminator(info.sample_shape, tuple(reversed(config.hidden))))
    if h != w:
        raise UsageError(f"image size {h}x{w}: the DCGAN nets build square images; pass --image-size")
    return (DCGANGenerator(config.latent_dim, c, h, ngf=config.ngf),
            DCGANDiscriminator(c, h, ndf=config.ndf))


def draw_noise(kind: str, n: int, dim: int, *, device, generator: torch.Generator | None = None) -> torch.Tensor:
    """z: (n, dim) from N(0, I) ("normal") or U(-1, 1) ("uniform")."""
    if kind == "uniform":
        return torch.rand(n, dim, device=device, generator=generator) * 2 - 1
    return torch.randn(n, dim, device=device, generator=generator)


def grad_norm(module: nn.Module) -> torch.Tensor:
    """Global L2 norm of the module's parameter gradients (0-d)."""
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros((), device=next(module.parameters()).device)
    return torch.nn.utils.get_total_norm(grads).detach()


class AdversarialGame:
    """One alternating update of Algorithm 1 (Goodfellow et al. 2014), shared by the gan and gan-1d families.

    It plays on a task's "generator" and "discriminator" (and "generator_ema" when present): forwards go
    through `task.net(name)` (DDP / torch.compile wrappers), updates through the task's optimizers and its fp16
    gradient scaler when the loop set one.
    """

    def __init__(self, task, *, loss: str, d_steps: int, noise: str, latent_dim: int,
                 ema_decay: float | None = None):
        self.task = task
        self.loss, self.d_steps, self.noise, self.latent_dim = loss, d_steps, noise, latent_dim
        self.ema_decay = ema_decay
        self.ema_updates = 0  # G updates folded into the EMA so far (extra_state, so resume keeps the warm-up)
        self._last_gn_g: torch.Tensor | None = None

    def step(self, x_real: torch.Tensor, step: int) -> dict[str, torch.Tensor]:
        """x_real: (B, ...) in the nets' range. Returns detached 0-d metrics (loss_d, loss_g, d_real, d_fake,
        grad_norm_d, grad_norm_g); raises TrainingDiverged naming the net when anything is non-finite."""
        net = self.task.net
        update_g = step % self.d_steps == self.d_steps - 1  # K D-updates, then one G-update
        z = draw_noise(self.noise, len(x_real), self.latent_dim, device=x_real.device)
        with torch.set_grad_enabled(update_g):  # no graph through G on D-only steps
            fake = net("generator")(z)
        # 1. Discriminator: descend E_D on real (label 1) and generated (label 0) batches, kept separate so
        #    batch norm never mixes their statistics (Radford et al. 2016; pytorch/examples' dcgan).
        real_logits = net("discriminator")(x_real).float()
        fake_logits = net("discriminator")(fake.detach()).float()
        loss_d = discriminator_loss(real_logits, fake_logits)
        gn_d = self._update("discriminator", loss_d)
        # 2. Generator: a fresh pass of the updated D on the same samples.
        if update_g:
            loss_g = self._generator_update(fake)
        else:
            loss_g = generator_loss(self.loss, fake_logits.detach())
        self._check_finite(fake, loss_d, loss_g, step)
        if self._last_gn_g is None:
            self._last_gn_g = torch.zeros((), device=gn_d.device)
        return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(),
                "d_real": torch.sigmoid(real_logits.detach()).mean(),
                "d_fake": torch.sigmoid(fake_logits.detach()).mean(),
                "grad_norm_d": gn_d, "grad_norm_g": self._last_gn_g}

    def _update(self, name: str, loss: torch.Tensor) -> torch.Tensor:
        """zero_grad, backward, step (through the gradient scaler if any); returns the unscaled grad norm."""
        opt, scaler, module = self.task.optimizers[name], self.task.scaler, self.task.modules[name]
        opt.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            norm = grad_norm(module)
            self.task.step_optimizer(name)
            return norm
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        norm = grad_norm(module)
        scaler.step(opt)
        scaler.update()
        return norm

    def _generator_update(self, fake: torch.Tensor) -> torch.Tensor:
        # D's weights are frozen for this pass, so the backward computes only what G needs (no D weight
        # gradients that would be thrown away). Under DDP the bare D is used: nothing of D's is reduced here.
        d_module = self.task.modules["discriminator"]
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
        d_net = d_module if distributed else self.task.net("discriminator")
        d_module.requires_grad_(False)
        try:
            loss_g = generator_loss(self.loss, d_net(fake).float())
            self._last_gn_g = self._update("generator", loss_g)  # kept for D-only steps (--d-steps > 1)
        finally:
            d_module.requires_grad_(True)
        if "generator_ema" in self.task.modules:
            self._update_ema()
        return loss_g

    @torch.no_grad()
    def _update_ema(self) -> None:
        """ema <- d * ema + (1 - d) * G with d = min(decay, (1 + t) / (10 + t)) after t updates (the warm-up of
        TensorFlow's ExponentialMovingAverage), so a short run's EMA is not mostly its random init.
        BN running statistics are copied, not averaged."""
        ema, g = self.task.modules["generator_ema"], self.task.modules["generator"]
        decay = min(self.ema_decay, (1 + self.ema_updates) / (10 + self.ema_updates))
        torch._foreach_lerp_(list(ema.parameters()), list(g.parameters()), 1 - decay)
        self.ema_updates += 1
        for mine, theirs in zip(ema.buffers(), g.buffers()):
            mine.copy_(theirs)

    @staticmethod
    def _check_finite(fake, loss_d, loss_g, step: int) -> None:
        ok_fake, ok_d, ok_g = torch.stack([torch.isfinite(fake).all(), torch.isfinite(loss_d),
                                           torch.isfinite(loss_g)]).tolist()
        if not ok_fake:
            raise TrainingDiverged(f"the generator diverged: non-finite samples G(z) at step {step + 1}; stopped, "
                                   "the last good checkpoint is kept (try a lower --lr-g)")
        if not (ok_d and ok_g):
            bad = "loss_d" if not ok_d else "loss_g"
            raise TrainingDiverged(f"the discriminator diverged: non-finite {bad} at step {step + 1}; stopped, "
                                   "the last good checkpoint is kept (try a lower --lr-d)")


def ema_copy(generator: nn.Module) -> nn.Module:
    ema = copy.deepcopy(generator)
    ema.requires_grad_(False)
    return ema


class Task(base.Task):
    def __init__(self, config: RunConfig, info: DataInfo, device: torch.device):
        super().__init__(config, info, device)
        mc = config.model
        self.G, self.D = (net.to(device) for net in build_nets(mc, info))
        self._nhwc = mc.channels_last and mc.net == "dcgan"
        if self._nhwc:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        self.G_ema = ema_copy(self.G) if mc.ema is not None else None
        self.modules = {"generator": self.G, "discriminator": self.D}
        if self.G_ema is not None:  # a module, so model.safetensors carries it and `genlab sample` uses it
            self.modules["generator_ema"] = self.G_ema
        betas = (mc.beta1, mc.beta2)
        self.optimizers = {"generator": make_adam(self.G.parameters(), lr=mc.lr_g, betas=betas),
                           "discriminator": make_adam(self.D.parameters(), lr=mc.lr_d, betas=betas)}
        self.game = AdversarialGame(self, loss=mc.loss, d_steps=mc.d_steps, noise=mc.noise,
                                    latent_dim=mc.latent_dim, ema_decay=mc.ema)
        gen = torch.Generator(device=device).manual_seed(config.train.seed + 1)  # fixed noise: same grid each epoch
        self.fixed_z = draw_noise(mc.noise, GRID, mc.latent_dim, device=device, generator=gen)

    def extra_state(self) -> dict[str, torch.Tensor]:
        return {"ema_updates": torch.tensor(self.game.ema_updates)} if self.G_ema is not None else {}

    def load_extra_state(self, tensors: dict[str, torch.Tensor]) -> None:
        if self.G_ema is not None:
            if "ema_updates" not in tensors:
                raise UsageError("the checkpoint has no EMA state (ema_updates); it was not written by this --ema run")
            self.game.ema_updates = int(tensors["ema_updates"])

    def _to_d(self, x: torch.Tensor) -> torch.Tensor:
        """[0, 1] images -> [-1, 1], the range of G's tanh output."""
        x = x * 2 - 1
        return x.contiguous(memory_format=torch.channels_last) if self._nhwc else x

    def train_step(self, x, y, step):
        return self.game.step(self._to_d(x), step)

    @torch.no_grad()
    def evaluate(self, x, y):
        """D on held-out real images and on as many fresh samples (fixed seed): mean D(x), D(G(z)), E_D."""
        gen = torch.Generator(device=self.device).manual_seed(self.config.train.seed + 2)
        z = draw_noise(self.config.model.noise, len(x), self.config.model.latent_dim, device=self.device,
                       generator=gen)
        real_logits, fake_logits = self.D(self._to_d(x)), self.D(self.G(z))
        return {"loss_d": float(discriminator_loss(real_logits, fake_logits)),
                "d_real": float(torch.sigmoid(real_logits).mean()),
                "d_fake": float(torch.sigmoid(fake_logits).mean())}

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """(n, C, H, W) in [0, 1], from the EMA generator when there is one."""
        net = self.G_ema if self.G_ema is not None else self.G
        z = draw_noise(self.config.model.noise, n, self.config.model.latent_dim, device=self.device,
                       generator=generator)
        return ((net(z) + 1) / 2).clamp(0, 1).contiguous()

    @torch.no_grad()
    def epoch_end(self, epoch: int, run_dir: Path) -> None:
        from genlab.data import save_grid

        net = self.G_ema if self.G_ema is not None else self.G
        images = ((net(self.fixed_z) + 1) / 2).clamp(0, 1)
        save_grid(images.float().cpu().contiguous(), Path(run_dir) / "samples" / f"epoch_{epoch:04d}.png", nrow=8)


def _game_plot(run, out_path: Path, **_) -> None:
    """D(x), D(G(z)), both losses and both gradient norms over training (from metrics.jsonl)."""
    from genlab.experiments.gan import plot_game

    plot_game(run.run_dir / "metrics.jsonl", out_path)


def _samples_plot(run, out_path: Path, *, seed: int = 0, **_) -> None:
    """A grid of 64 samples (EMA generator when the run has one)."""
    from genlab.data import save_grid

    gen = torch.Generator(device=run.task.device).manual_seed(seed)
    save_grid(run.task.sample(64, generator=gen).cpu(), out_path, nrow=8)


# `genlab plot DIR KIND`; drawing lives in genlab.experiments.gan (imported when a plot is asked for).
PLOTS = {"game": _game_plot, "samples": _samples_plot}
