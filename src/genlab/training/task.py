"""The contract between the generic training loop and one model family.

The loop owns epochs, data order, checkpoints, logging, progress and resume; a `Task` owns the nets, their
optimizers and what one step does. Families: see `genlab.training.families`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from genlab.config import RunConfig
from genlab.errors import UsageError
from genlab.training.adam import dynamo_unimported, fused_adam_step


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know about its data to be built (saved in model.json)."""

    sample_shape: tuple[int, ...]       # (C, H, W) for images, (D,) for toy data
    num_classes: int | None
    kind: str                           # "image" or "toy"
    classes: tuple[str, ...] | None = None


class TrainingDiverged(UsageError):
    """A loss or weight became NaN/inf; the run stops and keeps its last good checkpoint."""


class Task:
    """Base for families. Subclasses set `modules` and `optimizers` in `__init__` and implement `train_step`."""

    modules: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]

    def __init__(self, config: RunConfig, info: DataInfo, device: torch.device):
        self.config = config
        self.info = info
        self.device = device
        self._wrapped: dict[str, nn.Module] = {}
        self.scaler: torch.amp.GradScaler | None = None  # set by the loop for --precision fp16

    def optimize(self, names: str | tuple[str, ...], loss: torch.Tensor) -> None:
        """zero_grad, backward, step for optimizer `names` (one, or several sharing one backward pass), through
        the fp16 gradient scaler when there is one."""
        names = (names,) if isinstance(names, str) else names
        opts = [self.optimizers[name] for name in names]
        with dynamo_unimported():  # torch.optim would import torch._dynamo (seconds) for this call
            for opt in opts:
                opt.zero_grad(set_to_none=True)
        if self.scaler is None:
            loss.backward()
            for name in names:
                self.step_optimizer(name)
            return
        self.scaler.scale(loss).backward()
        for opt in opts:
            self.scaler.step(opt)
        self.scaler.update()

    def step_optimizer(self, name: str) -> None:
        """Apply optimizer `name` to the gradients already in .grad (fused Adam's kernel directly when it can)."""
        if not fused_adam_step(self.optimizers[name]):
            self.optimizers[name].step()

    def net(self, name: str) -> nn.Module:
        """The module to call in a training forward pass: DDP-wrapped under torchrun, else the module itself.

        Call it for every forward whose loss is back-propagated, so DDP can average the gradients.
        """
        return self._wrapped.get(name, self.modules[name])

    def distribute(self, wrap) -> None:
        """Wrap the training modules (`wrap`: module -> DDP or torch.compile); wraps compose."""
        self._wrapped = {name: wrap(self.net(name)) for name in self.modules}

    def bind_data(self, dataset) -> None:
        """Called once before training with the loaded `genlab.data.Dataset` (DANN reads its target here)."""

    def train_step(self, x: torch.Tensor, y: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        """One optimisation step on a batch x (B, ...) in [0, 1]; returns detached 0-d metric tensors."""
        raise NotImplementedError

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor | None) -> dict[str, float]:
        """Metrics on held-out data (already on the device, float in [0, 1]); means over items."""
        return {}

    def epoch_end(self, epoch: int, run_dir: Path) -> None:
        """Write per-epoch artefacts (sample grids from fixed noise) under run_dir/samples."""

    def extra_state(self) -> dict[str, torch.Tensor]:
        """Tensors beyond module/optimizer state that resume needs (e.g. EMA weights)."""
        return {}

    def load_extra_state(self, tensors: dict[str, torch.Tensor]) -> None:
        pass
