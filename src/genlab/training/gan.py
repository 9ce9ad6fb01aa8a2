"""GANs on images (`genlab train gan`): MLP or DCGAN nets, the min-max or the non-saturating generator loss.

One step follows Algorithm 1 of Goodfellow et al. 2014 with the loop's batches: every step is one
discriminator update on a fresh real batch; every K-th step (--d-steps K) the generator is updated too,
on the same generated batch (generated once per step, reused for D and G; pytorch/examples' dcgan does this).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import torch
from torch import nn

from genlab.config import RunConfig
from genlab.config.gan import CRITIC_LOSSES, Config
from genlab.errors import UsageError
from genlab.models.conditional import LabelledLatent, ProjectionDiscriminator, balanced_labels, classes_of
from genlab.models.gan import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    spectral_normalized,
)
from genlab.objectives.gan import (
    auxiliary_class_loss,
    critic_generator_loss,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    hinge_discriminator_loss,
    wasserstein_critic_loss,
)
from genlab.training import task as base
from genlab.training.adam import dynamo_unimported, make_adam
from genlab.training.capabilities import Sampler
from genlab.training.task import DataInfo, TrainingDiverged

GRID = 64          # fixed-noise samples per epoch grid


def learning_rates(model, train) -> tuple[float, float]:
    """(lr_d, lr_g): each net's own, else --lr (shared by the gan and gan-1d families)."""
    return (model.lr_d if model.lr_d is not None else train.lr, model.lr_g if model.lr_g is not None else train.lr)


def build_nets(config: Config, info: DataInfo) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) for image data of shape info.sample_shape = (C, H, W)."""
    if info.kind != "image" or len(info.sample_shape) != 3:
        raise UsageError(f"the gan family trains on images, not {info.kind} data of shape "
                         f"{list(info.sample_shape)}; for the 1-D example use `genlab train gan-1d`")
    c, h, w = info.sample_shape
    k = classes_of(info.num_classes) if config.conditional else 0
    z_inputs = config.latent_dim + k  # a conditional G takes the one-hot label beside z
    if config.net == "mlp":
        g = MLPGenerator(z_inputs, config.hidden, info.sample_shape, output="tanh")
        d = _maybe_sn(MLPDiscriminator(info.sample_shape, tuple(reversed(config.hidden))), config)
        features = d.feature_size
    else:
        if h != w:
            raise UsageError(f"image size {h}x{w}: the DCGAN nets build square images; pass --image-size")
        g = DCGANGenerator(z_inputs, c, h, ngf=config.ngf)
        d = _maybe_sn(DCGANDiscriminator(c, h, ndf=config.ndf, norm=config.d_norm), config)
        features = math.prod(d.feature_shape)
    if not k:
        return g, d
    return LabelledLatent(g, k), ProjectionDiscriminator(d, k, features, classify=config.aux_classifier > 0)


def _maybe_sn(d: nn.Module, config: Config) -> nn.Module:
    return spectral_normalized(d) if config.spectral_norm else d


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
                 ema_decay: float | None = None, gp_weight: float = 10.0, gp_one_sided: bool = False,
                 aux_weight: float = 0.0):
        self.task = task
        self.aux_weight = aux_weight  # > 0: D has a class head (AC-GAN) and conditional nets take labels
        self.gp_weight, self.gp_one_sided = gp_weight, gp_one_sided
        self.loss, self.d_steps, self.noise, self.latent_dim = loss, d_steps, noise, latent_dim
        self.ema_decay = ema_decay
        self.ema_updates = 0  # G updates folded into the EMA so far (extra_state, so resume keeps the warm-up)
        self._last_gn_g: torch.Tensor | None = None

    def step(self, x_real: torch.Tensor, step: int, *, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """x_real: (B, ...) in the nets' range; labels (B,) for conditional nets, which then generate the real
        batch's classes. Returns detached 0-d metrics (loss_d, loss_g, d_real, d_fake, grad_norm_d,
        grad_norm_g; with the auxiliary classifier also class_ce_real and class_ce_fake, its cross-entropy on
        the real batch and on the generated one against the classes asked for); raises TrainingDiverged naming
        the net when anything is non-finite. loss_d and loss_g are the game's terms; what each net descends
        adds aux_weight x its class cross-entropy."""
        net = self.task.net
        cond = () if labels is None else (labels,)  # the nets' extra argument
        update_g = step % self.d_steps == self.d_steps - 1  # K D-updates, then one G-update
        z = draw_noise(self.noise, len(x_real), self.latent_dim, device=x_real.device)
        with torch.set_grad_enabled(update_g):  # no graph through G on D-only steps
            fake = net("generator")(z, *cond)
        # 1. Discriminator: descend E_D on real (label 1) and generated (label 0) batches, kept separate so
        #    batch norm never mixes their statistics (Radford et al. 2016; pytorch/examples' dcgan).
        real_logits, real_ce = self._discriminate(net("discriminator"), x_real, labels)
        fake_logits, fake_ce = self._discriminate(net("discriminator"), fake.detach(), labels)
        loss_d = self._d_loss(real_logits, fake_logits, x_real, fake, cond)
        # AC-GAN's class head learns from real images only, so it stays a classifier of the data: Odena et al.
        # also train it on generated ones, and then D and G can agree on samples that are easy to classify
        # without looking like any real image.
        gn_d = self._update("discriminator", loss_d if real_ce is None else loss_d + self.aux_weight * real_ce)
        # 2. Generator: a fresh pass of the updated D on the same samples.
        if update_g:
            loss_g, fake_ce = self._generator_update(fake, labels)
        else:
            loss_g = self._g_loss(fake_logits.detach())
        self._check_finite(fake, loss_d, loss_g, step)
        if self._last_gn_g is None:
            self._last_gn_g = torch.zeros((), device=gn_d.device)
        out = {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(), "grad_norm_d": gn_d,
               "grad_norm_g": self._last_gn_g}
        if real_ce is not None:
            out |= {"class_ce_real": real_ce.detach(), "class_ce_fake": fake_ce.detach()}
        if self.loss in CRITIC_LOSSES:  # real-valued scores: their means (the critic's estimate is the gap)
            return {**out, "score_real": real_logits.detach().mean(), "score_fake": fake_logits.detach().mean()}
        return {**out, "d_real": torch.sigmoid(real_logits.detach()).mean(),
                "d_fake": torch.sigmoid(fake_logits.detach()).mean()}

    def _discriminate(self, d_net, x: torch.Tensor, labels: torch.Tensor | None):
        """(logits (B,) in fp32, the class head's cross-entropy against labels or None without the head)."""
        if labels is None:
            return d_net(x).float(), None
        if not self.aux_weight:
            return d_net(x, labels).float(), None
        logits, classes = d_net(x, labels, with_classes=True)
        return logits.float(), auxiliary_class_loss(classes.float(), labels)

    def _d_loss(self, real_logits, fake_logits, x_real, fake, cond: tuple = ()) -> torch.Tensor:
        if self.loss == "wgan-gp":
            critic = self.task.net("discriminator")
            penalty = gradient_penalty(lambda x: critic(x, *cond), x_real, fake, one_sided=self.gp_one_sided)
            return wasserstein_critic_loss(real_logits, fake_logits) + self.gp_weight * penalty
        if self.loss == "hinge":
            return hinge_discriminator_loss(real_logits, fake_logits)
        return discriminator_loss(real_logits, fake_logits)

    def _g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return critic_generator_loss(fake_logits) if self.loss in CRITIC_LOSSES else generator_loss(self.loss,
                                                                                                  fake_logits)

    def _update(self, name: str, loss: torch.Tensor) -> torch.Tensor:
        """zero_grad, backward, step (through the gradient scaler if any); returns the unscaled grad norm."""
        opt, scaler, module = self.task.optimizers[name], self.task.scaler, self.task.modules[name]
        with dynamo_unimported():  # torch.optim would import torch._dynamo (seconds) for this call
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

    def _generator_update(self, fake: torch.Tensor, labels: torch.Tensor | None):
        """One G update on `fake` through the updated D; returns (the game's loss_g, the class head's
        cross-entropy on fake, None without the head)."""
        # D's weights are frozen for this pass, so the backward computes only what G needs (no D weight
        # gradients that would be thrown away). Under DDP the bare D is used: nothing of D's is reduced here.
        d_module = self.task.modules["discriminator"]
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
        d_net = d_module if distributed else self.task.net("discriminator")
        d_module.requires_grad_(False)
        try:
            logits, class_ce = self._discriminate(d_net, fake, labels)
            loss_g = self._g_loss(logits)
            total = loss_g if class_ce is None else loss_g + self.aux_weight * class_ce
            self._last_gn_g = self._update("generator", total)  # kept for D-only steps (--d-steps > 1)
        finally:
            d_module.requires_grad_(True)
        if "generator_ema" in self.task.modules:
            self._update_ema()
        return loss_g, class_ce

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


class Task(base.Task, Sampler):
    def __init__(self, config: RunConfig, info: DataInfo, device: torch.device):
        super().__init__(config, info, device)
        mc = config.model
        self.G, self.D = (net.to(device) for net in build_nets(mc, info))
        self.classes = info.num_classes if mc.conditional else 0
        self._nhwc = mc.channels_last and mc.net == "dcgan"
        if self._nhwc:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        self.G_ema = ema_copy(self.G) if mc.ema is not None else None
        self.modules = {"generator": self.G, "discriminator": self.D}
        if self.G_ema is not None:  # a module, so model.safetensors carries it and `genlab sample` uses it
            self.modules["generator_ema"] = self.G_ema
        lr_d, lr_g = learning_rates(mc, config.train)
        self.optimizers = {"generator": make_adam(self.G.parameters(), lr=lr_g, betas=mc.betas),
                           "discriminator": make_adam(self.D.parameters(), lr=lr_d, betas=mc.betas)}
        self.game = AdversarialGame(self, loss=mc.loss, d_steps=mc.d_steps, noise=mc.noise,
                                    latent_dim=mc.latent_dim, ema_decay=mc.ema, gp_weight=mc.gp_weight,
                                    gp_one_sided=mc.gp_one_sided, aux_weight=mc.aux_classifier)
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

    def _cond(self, labels: torch.Tensor | None, n: int) -> tuple:
        """The nets' extra argument: () unconditional; (labels,) conditional, every class in turn if None."""
        if not self.classes:
            return ()
        return (labels.to(self.device) if labels is not None else balanced_labels(n, self.classes, self.device),)

    def train_step(self, x, y, step):
        return self.game.step(self._to_d(x), step, labels=y if self.classes else None)

    @torch.no_grad()
    def evaluate(self, x, y):
        """D on held-out real images and on as many fresh samples (fixed seed; a conditional G generates the
        real images' classes): mean D(x), D(G(z)), E_D; with the auxiliary classifier also class_acc_real and
        class_acc_fake, how often D's class head names the real image's class and the class G was asked for."""
        gen = torch.Generator(device=self.device).manual_seed(self.config.train.seed + 2)
        z = draw_noise(self.config.model.noise, len(x), self.config.model.latent_dim, device=self.device,
                       generator=gen)
        cond = self._cond(y, len(x))
        fake = self.G(z, *cond)
        extra = {}
        if self.config.model.aux_classifier > 0:
            (real_logits, real_classes), (fake_logits, fake_classes) = (
                self.D(images, *cond, with_classes=True) for images in (self._to_d(x), fake))
            extra = {f"class_acc_{kind}": float((classes.argmax(1) == cond[0]).float().mean())
                     for kind, classes in (("real", real_classes), ("fake", fake_classes))}
        else:
            real_logits, fake_logits = self.D(self._to_d(x), *cond), self.D(fake, *cond)
        if self.config.model.loss in CRITIC_LOSSES:  # the critic's estimate of W1 (wgan-gp) or its hinge gap
            return {"score_real": float(real_logits.mean()), "score_fake": float(fake_logits.mean()),
                    "critic_gap": float(real_logits.mean() - fake_logits.mean()), **extra}
        return {"loss_d": float(discriminator_loss(real_logits, fake_logits)),
                "d_real": float(torch.sigmoid(real_logits).mean()),
                "d_fake": float(torch.sigmoid(fake_logits).mean()), **extra}

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None,
               labels: torch.Tensor | None = None) -> torch.Tensor:
        """(n, C, H, W) in [0, 1], from the EMA generator when there is one; a conditional run draws the
        classes in `labels` (n,), or every class in turn."""
        net = self.G_ema if self.G_ema is not None else self.G
        z = draw_noise(self.config.model.noise, n, self.config.model.latent_dim, device=self.device,
                       generator=generator)
        return ((net(z, *self._cond(labels, n)) + 1) / 2).clamp(0, 1).contiguous()

    @torch.no_grad()
    def epoch_end(self, epoch: int, run_dir: Path) -> None:
        from genlab.data import save_grid

        net = self.G_ema if self.G_ema is not None else self.G
        images = ((net(self.fixed_z, *self._cond(None, len(self.fixed_z))) + 1) / 2).clamp(0, 1)
        # a conditional run draws the classes in turn: one class per column
        save_grid(images.float().cpu().contiguous(), Path(run_dir) / "samples" / f"epoch_{epoch:04d}.png",
                  nrow=self.classes or 8)
