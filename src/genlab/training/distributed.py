"""Data-parallel training with PyTorch's own engine: `torchrun` sets the environment, DDP averages
gradients, `torch.distributed` collectives reduce metrics. Nothing here launches processes itself."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from genlab.errors import UsageError


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def setup(device: torch.device) -> DistInfo:
    """Join the process group torchrun describes (WORLD_SIZE, RANK, MASTER_ADDR...); single process otherwise.

    Backend: nccl for CUDA, gloo for the CPU.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
    return DistInfo(rank=dist.get_rank(), world_size=dist.get_world_size())


def teardown(info: DistInfo, *, finished: bool) -> None:
    """Leave the process group. After a finished run every rank first waits for the others (rank 0 may still
    be writing the last checkpoint), so no rank tears its connections down while a peer still uses them;
    after an error no barrier, since a failed peer would never reach it."""
    if info.enabled and dist.is_initialized():
        if finished:
            dist.barrier()
        dist.destroy_process_group()


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """DDP around a module that has trainable parameters (others are returned unchanged)."""
    if not any(p.requires_grad for p in module.parameters()):
        return module
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids)


def mean_across_ranks(values: dict[str, torch.Tensor], info: DistInfo) -> dict[str, torch.Tensor]:
    """Average each 0-d tensor over ranks (one all_reduce for the lot)."""
    if not info.enabled or not values:
        return values
    keys = sorted(values)
    stacked = torch.stack([values[k].float() for k in keys])
    dist.all_reduce(stacked, op=dist.ReduceOp.SUM)
    stacked /= info.world_size
    return dict(zip(keys, stacked))


def gather_rng_states(info: DistInfo) -> list[torch.Tensor]:
    """Every rank's CPU RNG state (so a resumed DDP run restores each rank's own noise stream)."""
    state = torch.get_rng_state()
    if not info.enabled:
        return [state]
    out = [torch.empty_like(state) for _ in range(info.world_size)]
    dist.all_gather(out, state) if dist.get_backend() == "gloo" else _gather_via_cuda(out, state)
    return out


def _gather_via_cuda(out: list[torch.Tensor], state: torch.Tensor) -> None:
    device = torch.device("cuda", torch.cuda.current_device())
    moved = [torch.empty_like(state, device=device) for _ in out]
    dist.all_gather(moved, state.to(device))
    for dst, src in zip(out, moved):
        dst.copy_(src.cpu())


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def check_world(info: DistInfo, n_train: int, batch_size: int) -> None:
    if info.world_size > n_train:
        raise UsageError(f"world size {info.world_size} is larger than the train split ({n_train} items)")
    if batch_size % info.world_size:
        raise UsageError(f"--batch-size {batch_size} (the global batch) must be divisible by the world size "
                         f"{info.world_size}")
