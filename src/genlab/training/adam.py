"""Adam for every family: built with torch's fused kernel where it can, stepped without torch.optim's Python.

`make_adam` picks the fused kernel (one kernel for all parameters instead of a dozen small ops per tensor) and
falls back to the multi-tensor (foreach) path where this torch has no fused kernel for the device.
`torch.optim.Adam(fused=True).step()` spends ~0.25 ms per call on a CPU before and after its one kernel
(profiler ranges, hook loops, regrouping the tensors by device and dtype): 5% of a step of the
pytorch/examples VAE. For the plain case (one parameter group, no amsgrad/maximize/differentiable/capturable,
no hooks, no gradient scaler, every parameter with a gradient and state already made by one ordinary
step) `fused_adam_step` calls the same two kernels torch.optim would, on the same state tensors, so the result
is bit-identical and checkpoints are unchanged (tests/training/test_adam.py). Anything else: it returns
False and the caller uses `opt.step()`. The first step makes the state as torch.optim would (zeros).
`torch._fused_adam_` is private, so the shortcut runs only on the torch releases it is tested on
(TESTED_TORCH) and any error on the way falls back to `opt.step()` with the optimizer state untouched.

Start-up: torch.optim imports torch._dynamo (1.4-2 s, as long as torch itself) on an optimizer's first
construction, step, zero_grad or state_dict, only to keep dynamo from tracing them. `dynamo_unimported()`
lets genlab's own calls skip that while dynamo is not imported (nothing can be traced then), so a run
without --compile never imports it.
"""

from __future__ import annotations

import contextlib
import sys

import torch
from torch.optim import optimizer as torch_optimizer

# torch releases whose private _fused_adam_ signature the shortcut is tested against: [2.3, 2.15).
TESTED_TORCH = ((2, 3), (2, 15))


def torch_release(version: str) -> tuple[int, int] | None:
    """(major, minor) of a torch version string such as '2.14.1+cpu'; None when it does not parse."""
    try:
        major, minor = version.split("+")[0].split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return None


def shortcut_supported(version: str | None = None) -> bool:
    release = torch_release(torch.__version__ if version is None else version)
    return release is not None and TESTED_TORCH[0] <= release < TESTED_TORCH[1]


_PLAIN = {"amsgrad": False, "maximize": False, "differentiable": False, "capturable": False,
          "decoupled_weight_decay": False, "fused": True}


# Optimizer methods torch wraps in torch._disable_dynamo (which imports torch._dynamo on the first call).
_DYNAMO_DISABLED = ("add_param_group", "zero_grad", "state_dict", "load_state_dict")


@contextlib.contextmanager
def dynamo_unimported():
    """Within the block, while torch._dynamo is not imported, torch.optim.Optimizer's dynamo-disabled methods
    run as themselves instead of importing torch._dynamo to wrap themselves in `torch._dynamo.disable`.

    That wrapper only keeps dynamo from tracing the method; with dynamo not imported nothing is being
    traced, so the call is the same. torch caches the wrapper as `fn.__dynamo_disable` on the first call;
    the block sets it to fn itself and removes it on leaving, so outside the block (and whenever dynamo is
    imported: --compile, a user's torch.compile) torch behaves as shipped.
    """
    if "torch._dynamo" in sys.modules:
        yield
        return
    seeded = []
    for name in _DYNAMO_DISABLED:
        fn = getattr(getattr(torch.optim.Optimizer, name, None), "__wrapped__", None)
        if fn is not None and getattr(fn, "__dynamo_disable", None) is None:
            setattr(fn, "__dynamo_disable", fn)
            seeded.append(fn)
    try:
        yield
    finally:
        for fn in seeded:
            if fn.__dict__.get("__dynamo_disable") is fn:
                delattr(fn, "__dynamo_disable")


def make_adam(params, *, lr: float, betas: tuple[float, float] = (0.9, 0.999)) -> torch.optim.Optimizer:
    """torch.optim.Adam with fused=True where this torch has that kernel for the parameters' device, else
    foreach=True."""
    params = list(params)  # a generator would be used up by a failed first attempt
    with dynamo_unimported():
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
    this is not the plain case, a torch it is not tested on, or anything fails, so the caller must call
    opt.step() itself. Nothing in `opt.state` changes unless the fused kernel returned."""
    if not shortcut_supported():
        return False
    try:
        return _fused_step(opt)
    except Exception:  # noqa: BLE001 - private torch internals: any failure means "use torch.optim's step"
        return False


def _fused_step(opt: torch.optim.Optimizer) -> bool:
    group = _plain_group(opt)
    fused = getattr(torch, "_fused_adam_", None)
    if group is None or fused is None:
        return False
    params = group["params"]
    states = [opt.state.get(p) for p in params]
    if any(p.grad is None or p.grad.is_sparse for p in params):
        return False  # a frozen parameter, or sparse grads
    kind = (params[0].device, params[0].dtype)
    if any((p.device, p.dtype) != kind or p.is_complex() or not p.is_floating_point() for p in params):
        return False  # torch.optim would split these into several kernel calls
    if not any(states):  # the first step: the state torch.optim's Adam._init_group makes for fused=True
        check = getattr(torch_optimizer, "_device_dtype_check_for_fused", None)
        if check is None:
            return False
        for p in params:
            check(p)  # torch.optim's own error for a device without the fused kernel, as its step would raise
        states = [{"step": torch.zeros((), dtype=torch.float32, device=p.device),
                   "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                   "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format)} for p in params]
        new_state = True
    elif not all(states):
        return False  # some parameters have state and some not: torch.optim's own path
    else:
        new_state = False
    # The kernel reads the incremented step; it gets incremented copies, stored only once it has returned,
    # so a kernel that refuses its arguments leaves every step count (and a first step's state) as it was.
    steps = [s["step"] for s in states]
    next_steps = torch._foreach_add(steps, 1)
    beta1, beta2 = group["betas"]
    fused(params, [p.grad for p in params], [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
          [], next_steps, amsgrad=False, lr=group["lr"], beta1=beta1, beta2=beta2,
          weight_decay=group["weight_decay"], eps=group["eps"], maximize=False, grad_scale=None, found_inf=None)
    torch._foreach_copy_(steps, next_steps)
    if new_state:
        for p, state in zip(params, states):
            opt.state[p] = state
    return True
