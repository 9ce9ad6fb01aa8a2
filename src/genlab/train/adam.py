"""Adam for every family: built with torch's fused kernel where it can, stepped without torch.optim's Python.

`make_adam` picks the fused kernel (one kernel for all parameters instead of a dozen small ops per tensor) and
falls back to the multi-tensor (foreach) path where this torch has no fused kernel for the device.
`torch.optim.Adam(fused=True).step()` spends ~0.25 ms per call on a CPU before and after its one kernel
(profiler ranges, hook loops, regrouping the tensors by device and dtype): 5% of a step of the
pytorch/examples VAE. For the plain case (one parameter group, no amsgrad/maximize/differentiable/capturable,
no hooks, no gradient scaler, every parameter with a gradient and state already made by one ordinary
step) `fused_adam_step` calls the same two kernels torch.optim would, on the same state tensors, so the result
is bit-identical and checkpoints are unchanged (tests/train/test_adam.py). Anything else: it returns
False and the caller uses `opt.step()`.
"""

from __future__ import annotations

import torch
from torch.optim import optimizer as torch_optimizer

_PLAIN = {"amsgrad": False, "maximize": False, "differentiable": False, "capturable": False,
          "decoupled_weight_decay": False, "fused": True}


def make_adam(params, *, lr: float, betas: tuple[float, float] = (0.9, 0.999)) -> torch.optim.Optimizer:
    """torch.optim.Adam with fused=True where this torch has that kernel for the parameters' device, else
    foreach=True."""
    params = list(params)  # a generator would be used up by a failed first attempt
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, betas=betas, foreach=True)


def _plain_group(opt: torch.optim.Optimizer) -> dict | None:
    """The only param group, if this optimizer is exactly the case the shortcut handles; else None."""
    if type(opt) is not torch.optim.Adam or len(opt.param_groups) != 1:
        return None
    if opt._optimizer_step_pre_hooks or opt._optimizer_step_post_hooks:
        return None
    if torch_optimizer._global_optimizer_pre_hooks or torch_optimizer._global_optimizer_post_hooks:
        return None
    if getattr(opt, "grad_scale", None) is not None or getattr(opt, "found_inf", None) is not None:
        return None
    group = opt.param_groups[0]
    if any(group.get(key, value) != value for key, value in _PLAIN.items()):
        return None
    if isinstance(group["lr"], torch.Tensor) or isinstance(group["betas"][0], torch.Tensor):
        return None
    return group


def fused_adam_step(opt: torch.optim.Optimizer) -> bool:
    """Apply one Adam update as torch.optim.Adam(fused=True).step() would; False (and nothing done) when
    this is not the plain case, so the caller must call opt.step() itself."""
    try:
        group = _plain_group(opt)
        fused = torch._fused_adam_
    except AttributeError:  # a torch without these internals: the ordinary path
        return False
    if group is None:
        return False
    params = group["params"]
    states = [opt.state.get(p) for p in params]
    if any(not s or p.grad is None or p.grad.is_sparse for p, s in zip(params, states)):
        return False  # first step (state not made yet), a frozen parameter, or sparse grads
    kind = (params[0].device, params[0].dtype)
    if any((p.device, p.dtype) != kind or p.is_complex() for p in params):
        return False  # torch.optim would split these into several kernel calls
    steps = [s["step"] for s in states]
    torch._foreach_add_(steps, 1)
    beta1, beta2 = group["betas"]
    fused(params, [p.grad for p in params], [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
          [], steps, amsgrad=False, lr=group["lr"], beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"],
          eps=group["eps"], maximize=False, grad_scale=None, found_inf=None)
    return True
