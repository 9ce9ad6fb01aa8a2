"""--precision and --compile: autocast, the fp16 gradient scaler, torch.compile with a graceful fallback."""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import sys
from collections.abc import Callable

import torch

from genlab.config import TrainConfig
from genlab.errors import UsageError

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def compiler_available(device: torch.device) -> str | None:
    """None when torch.compile can run here, else the reason it cannot."""
    if sys.version_info >= (3, 14) and not hasattr(torch, "compiler"):
        return "this Python is newer than torch.compile supports"
    if device.type == "cuda" and importlib.util.find_spec("triton") is None:
        return "triton is not installed"
    if device.type == "cpu" and not (shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")):
        return "no C++ compiler on PATH"
    if device.type == "mps":
        return "torch.compile does not support MPS well yet"
    return None


def configure(task, train: TrainConfig, device: torch.device) -> Callable[[], contextlib.AbstractContextManager]:
    """Apply precision and compile settings to a task; returns the autocast context factory for steps."""
    if train.precision not in ("fp32", *DTYPES):
        raise UsageError(f"--precision {train.precision!r}: accepted fp32, bf16, fp16")
    if train.precision == "fp16" and device.type != "cuda":
        raise UsageError(f"--precision fp16 needs a CUDA device (training on {device.type}); use fp32 or bf16")
    if train.precision == "bf16" and device.type == "cpu":
        print("genlab: warning: bf16 autocast on a CPU is much slower than fp32 without bf16 hardware",
              file=sys.stderr)
    if train.precision == "fp16":
        task.scaler = torch.amp.GradScaler("cuda")
    if train.compile:
        reason = compiler_available(device)
        if reason:
            print(f"genlab: warning: --compile ignored: {reason}", file=sys.stderr)
        else:
            task.distribute(torch.compile)
    if train.precision == "fp32":
        return contextlib.nullcontext
    dtype = DTYPES[train.precision]
    return lambda: torch.autocast(device.type, dtype=dtype)


def scaler_state(task) -> dict[str, torch.Tensor]:
    if task.scaler is None:
        return {}
    state = task.scaler.state_dict()
    return {"amp_scale": torch.tensor(float(state.get("scale", 1.0)), dtype=torch.float64),
            "amp_growth_tracker": torch.tensor(int(state.get("_growth_tracker", 0)))}


def load_scaler_state(task, extra: dict[str, torch.Tensor]) -> None:
    if task.scaler is None or "amp_scale" not in extra:
        return
    state = task.scaler.state_dict()
    state.update(scale=float(extra["amp_scale"]), _growth_tracker=int(extra["amp_growth_tracker"]))
    task.scaler.load_state_dict(state)
