"""Domain-adversarial training (`genlab train dann --data SOURCE --target TARGET`): labels from one domain, invariance to the other.

Ganin et al., "Domain-Adversarial Training of Neural Networks", JMLR 17 (2016), Algorithm 1: a feature
extractor feeds a label classifier (trained on labelled source data) and, through a gradient reversal
layer, a domain classifier (source vs unlabelled target). The domain classifier learns to tell the domains
apart; the reversed gradient makes the features *increase* its loss (the lecture's "adversarial loss on
nuisance directions"), so they become domain-invariant and the label classifier carries over to the target.

Modes, same nets and budget: DANN (default); --no-adversarial, the source-only baseline (lambda = 0: the
domain classifier still trains, to measure how separable the domains are, but sends no gradient to the
features); --train-on-target, the upper bound (labelled target data, not adversarial).
Grayscale source digits meeting an RGB target are repeated to 3 channels (as Ganin et al. do for
MNIST -> MNIST-M). Without --target, two-moons, mnist-5k and mnist pick their own target domain.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from genlab.config import DataConfig, RunConfig
from genlab.config.dann import DEFAULT_TARGETS, GANIN_LR_ALPHA, GANIN_LR_BETA, Config
from genlab.errors import UsageError
from genlab.models.dann import build_dann_nets
from genlab.objectives.reversal import ganin_lambda, grad_reverse
from genlab.training import task as base
from genlab.training.adam import make_adam
from genlab.training.capabilities import Classifier
from genlab.training.task import DataInfo

NETS = ("features", "label", "domain")
EVAL_CHUNK = 1000


# Ganin et al. 2016: MNIST label head 100-100, domain head 100 (Fig. 4); toy nets are small (Sec. 5.1).
HEADS = {"conv": ((100, 100), (100,)), "mlp": ((), (32,))}


def target_spec(data: DataConfig) -> str:
    """--target, or the source's own partner domain."""
    if data.target:
        return data.target
    if data.spec in DEFAULT_TARGETS:
        return DEFAULT_TARGETS[data.spec]
    raise UsageError(f"dann: --data {data.spec} has no default target domain; pass --target SPEC (defaults "
                     f"exist for {', '.join(DEFAULT_TARGETS)})")


def joint_shape(info: DataInfo, target, *, source: str, target_name: str) -> tuple[int, ...]:
    """The nets' input shape for both domains; one-line UsageError when they cannot share one net."""
    s, t = tuple(info.sample_shape), tuple(target.sample_shape)
    if target.kind != info.kind:
        raise UsageError(f"--target {target_name} is {target.kind} data but --data {source} is {info.kind} "
                         "data; both domains must be the same kind")
    if info.kind != "image":
        if s != t:
            raise UsageError(f"--target {target_name} has samples of shape {t} but --data {source} has {s}; "
                             "both domains must have the same shape")
        return s
    if s[1:] != t[1:]:
        raise UsageError(f"--target {target_name} images are {t[1]}x{t[2]} but --data {source} images are "
                         f"{s[1]}x{s[2]}; pass --image-size N to resize both")
    if s[0] == t[0]:
        return s
    if {s[0], t[0]} == {1, 3}:
        return (3, *s[1:])  # grayscale is repeated to RGB
    raise UsageError(f"--target {target_name} has {t[0]} channels but --data {source} has {s[0]}; accepted: "
                     "equal counts, or grayscale with RGB")


def check_labels(info: DataInfo, target, *, config: RunConfig, target_name: str) -> None:
    if info.num_classes is None:
        raise UsageError(f"dann: --data {config.data.spec} has no labels; the source domain must be labelled")
    if config.model.train_on_target and target.train.labels is None:
        raise UsageError(f"--train-on-target: --target {target_name} has no labels; accepted: a labelled "
                         "target such as two-moons-rotated or mnist-5k-m-like")
    if target.num_classes is not None and target.num_classes != info.num_classes:
        raise UsageError(f"--target {target_name} has {target.num_classes} classes but --data "
                         f"{config.data.spec} has {info.num_classes}; both domains must share the classes")


def _rank_share(idx: torch.Tensor) -> torch.Tensor:
    """This rank's part of a global batch under torchrun (the loop splits source batches the same way)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return idx.tensor_split(dist.get_world_size())[dist.get_rank()]
    return idx


class Task(base.Task, Classifier):
    def __init__(self, config: RunConfig, info: DataInfo, device: torch.device):
        from genlab import data as gdata

        super().__init__(config, info, device)
        mc: Config = config.model
        self.target_name = target_spec(config.data)
        target = gdata.load(self.target_name, image_size=config.data.image_size)
        self.input_shape = joint_shape(info, target, source=config.data.spec, target_name=self.target_name)
        check_labels(info, target, config=config, target_name=self.target_name)
        self.arch = mc.arch if mc.arch != "auto" else ("conv" if info.kind == "image" else "mlp")
        label_hidden, domain_hidden = HEADS[self.arch]
        nets = build_dann_nets(self.arch, self.input_shape, info.num_classes, hidden=mc.hidden, width=mc.width,
                               label_hidden=label_hidden if mc.label_hidden is None else mc.label_hidden,
                               domain_hidden=domain_hidden if mc.domain_hidden is None else mc.domain_hidden,
                               activation=mc.activation, domain_leak=mc.domain_leak)
        self.modules = {name: net.to(device) for name, net in zip(NETS, nets)}
        # one optimizer over all three nets: Algorithm 1's single update of (theta_f, theta_y, theta_d)
        params = [p for m in self.modules.values() for p in m.parameters()]
        if mc.optimizer == "sgd":
            self.optimizers = {"model": torch.optim.SGD(params, lr=config.train.lr, momentum=0.9)}
        else:
            self.optimizers = {"model": make_adam(params, lr=config.train.lr, betas=mc.betas)}
        self.target = target
        self._t_images = target.train.images.to(device)
        self._t_labels = target.train.labels.to(device) if target.train.labels is not None else None
        self._total_steps: int | None = None
        self._schedule = None  # the target domain's BatchSchedule, made at the first target batch
        self._updates = 0                        # bumped by every train step: keys the target-metric cache
        self._target_cache: tuple[int, dict] | None = None
        self._grid: torch.Tensor | None = None

    def bind_data(self, dataset) -> None:
        if tuple(dataset.sample_shape) != tuple(self.info.sample_shape):
            raise UsageError(f"--data {self.config.data.spec}: samples are {tuple(dataset.sample_shape)} but the "
                             f"model was built for {tuple(self.info.sample_shape)}; use the data it was trained on")
        # Progress p = step / planned steps, the planned run being --epochs (the loop's steps per epoch), or
        # --max-steps when --epochs is 0. A --max-steps that cuts a run short leaves the schedule alone, so a
        # run stopped early and resumed with a later --max-steps takes exactly the steps of an unbroken one.
        tc = self.config.train
        planned = tc.epochs * math.ceil(len(dataset.train) / tc.batch_size) if tc.epochs else tc.max_steps
        self._total_steps = max(planned or 1, 1)
        if dataset.kind == "image":
            from genlab.data import to_float

            both = torch.cat([self.prepare(to_float(dataset.test.evenly(32).images)),  # all classes, if sorted
                              self.prepare(to_float(self.target.test.evenly(32).images))])
            self._grid = both

    # --- the pieces of one step ------------------------------------------------------------------------
    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """A batch from either domain -> the nets' input: grayscale repeated to 3 channels for an RGB pair."""
        if x.dim() == 4 and x.shape[1] == 1 and self.input_shape[0] == 3:
            return x.expand(-1, 3, -1, -1)
        return x

    def lambda_at(self, step: int) -> float:
        """The reversal weight for global step `step`: 0 for the baselines, else fixed or Ganin's lambda_p."""
        mc: Config = self.config.model
        if not mc.adversarial or mc.train_on_target:
            return 0.0
        if mc.lambda_schedule == "constant":
            return mc.reversal_lambda
        return mc.reversal_lambda * ganin_lambda(self.progress(step), gamma=mc.gamma)

    def progress(self, step: int) -> float:
        """Training progress p in [0, 1] of global step `step` over the planned run (bind_data)."""
        if self._total_steps is None:
            raise RuntimeError("bind_data must be called before training (the schedule needs the run length)")
        return min(1.0, step / self._total_steps)

    def lr_at(self, step: int) -> float:
        """The learning rate of global step `step`: --lr, or Ganin's annealing lr / (1 + 10 p)^0.75."""
        lr = self.config.train.lr
        if self.config.model.lr_schedule == "constant":
            return lr
        return lr / (1.0 + GANIN_LR_ALPHA * self.progress(step)) ** GANIN_LR_BETA

    def target_batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The target batch of global step `step`: a pure function of (seed, step), so resume is exact.

        Target epochs are counted on their own (a target epoch = n_target // batch full batches), with a
        negative epoch index so the order never coincides with the loop's source order for the same seed.
        """
        from genlab.data import BatchSchedule, to_float

        if self._schedule is None:
            self._schedule = BatchSchedule(len(self._t_images), self.config.train.batch_size,
                                           seed=self.config.train.seed, target_stream=True, device=self.device)
        idx = _rank_share(self._schedule(step)[1])
        y = self._t_labels[idx] if self._t_labels is not None else None
        return self.prepare(to_float(self._t_images[idx])), y

    def train_step(self, x, y, step):
        mc: Config = self.config.model
        lam = self.lambda_at(step)
        xs = self.prepare(x)
        xt, yt = self.target_batch(step)
        h = self.net("features")(torch.cat([xs, xt]))                    # (Bs + Bt, F), one pass (DDP)
        h_label, y_label = (h[len(xs):], yt) if mc.train_on_target else (h[:len(xs)], y)
        logits = self.net("label")(h_label)                              # (B, classes)
        loss_label = F.cross_entropy(logits, y_label)
        d_logits = self.net("domain")(grad_reverse(h, lam)).squeeze(1)   # (Bs + Bt,)
        d_true = torch.cat([torch.zeros(len(xs), device=h.device), torch.ones(len(xt), device=h.device)])
        loss_domain = F.binary_cross_entropy_with_logits(d_logits, d_true)
        # Algorithm 1: one backward through L_y + L_d; the reversal layer turns the features' share of
        # dL_d into -lambda dL_d, while the domain classifier itself descends L_d.
        loss = loss_label + loss_domain
        # a pure function of the step, set before every update: a resumed run takes the same rates
        for group in self.optimizers["model"].param_groups:
            group["lr"] = self.lr_at(step)
        self.optimize("model", loss)
        self._updates += 1
        return {"loss": loss.detach(), "loss_label": loss_label.detach(), "loss_domain": loss_domain.detach(),
                "lambda": torch.tensor(lam), "accuracy": (logits.argmax(1) == y_label).float().mean().detach(),
                "domain_accuracy": ((d_logits > 0).float() == d_true).float().mean().detach()}

    # --- evaluation and capabilities -------------------------------------------------------------------
    @torch.no_grad()
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, *shape) from either domain, in [0, 1] (images) -> features (B, F)."""
        return self.modules["features"](self.prepare(x))

    @torch.no_grad()
    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, *shape) -> class logits (B, num_classes)."""
        return self.modules["label"](self.features(x))

    @torch.no_grad()
    def domain_logits(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, *shape) -> (B,) logit that x is from the target domain."""
        return self.modules["domain"](self.features(x)).squeeze(1)

    @torch.no_grad()
    def _target_metrics(self) -> dict[str, float]:
        """Over the whole held-out target test split; cached until the next train step (the loop evaluates
        the source test split in chunks, and every chunk reports these same numbers)."""
        if self._target_cache is not None and self._target_cache[0] == self._updates:
            return self._target_cache[1]
        from genlab.data import to_float

        test, correct, as_target = self.target.test, 0.0, 0.0
        for start in range(0, len(test), EVAL_CHUNK):
            x = to_float(test.images[start:start + EVAL_CHUNK].to(self.device))
            as_target += float((self.domain_logits(x) > 0).sum())
            if test.labels is not None:
                labels = test.labels[start:start + EVAL_CHUNK].to(self.device)
                correct += float((self.classify(x).argmax(1) == labels).sum())
        out = {"target_recall": as_target / max(len(test), 1)}
        if test.labels is not None:
            out["target_accuracy"] = correct / max(len(test), 1)
        self._target_cache = (self._updates, out)
        return out

    @torch.no_grad()
    def evaluate(self, x, y):
        """source_accuracy on the source test items given; target_accuracy on the target test split;
        domain_accuracy: the domain classifier's balanced accuracy, source test vs target test."""
        tgt = self._target_metrics()
        h = self.features(x)
        source_as_source = float((self.modules["domain"](h).squeeze(1) <= 0).float().mean())
        out = {"domain_accuracy": 0.5 * (source_as_source + tgt["target_recall"])}
        if y is not None:
            logits = self.modules["label"](h)
            out["source_accuracy"] = float((logits.argmax(1) == y).float().mean())
            out["loss_label"] = float(F.cross_entropy(logits, y))
        if "target_accuracy" in tgt:
            out["target_accuracy"] = tgt["target_accuracy"]
        return out

    def epoch_end(self, epoch: int, run_dir: Path) -> None:
        if self._grid is None or epoch:
            return
        from genlab.data import save_grid

        save_grid(self._grid.cpu(), Path(run_dir) / "samples" / "domains.png", nrow=8)  # source rows, then target
