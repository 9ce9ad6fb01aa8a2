"""fused_adam_step is torch.optim.Adam(fused=True).step() without the Python around it: bit-identical or unused."""

import pytest
import torch
from torch import nn

from genlab.training.adam import fused_adam_step, make_adam


def _model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))


def _set_grads(model, step):
    g = torch.Generator().manual_seed(100 + step)
    for p in model.parameters():
        p.grad = torch.randn(p.shape, generator=g)


@pytest.mark.parametrize("options", [{}, {"weight_decay": 0.1, "betas": (0.5, 0.9), "eps": 1e-6}])
def test_bit_identical_to_torch_fused_adam_and_same_checkpoint_state(options):
    ref, fast = _model(), _model()
    opt_ref = torch.optim.Adam(ref.parameters(), lr=1e-2, fused=True, **options)
    opt_fast = torch.optim.Adam(fast.parameters(), lr=1e-2, fused=True, **options)
    used = []
    for step in range(6):
        _set_grads(ref, step)
        _set_grads(fast, step)
        opt_ref.step()
        took = fused_adam_step(opt_fast)
        used.append(took)
        if not took:
            opt_fast.step()
    assert used == [True] * 6  # the first step too: it makes the state torch.optim would
    for a, b in zip(ref.parameters(), fast.parameters()):
        assert torch.equal(a, b)
    sa, sb = opt_ref.state_dict(), opt_fast.state_dict()
    assert sa["param_groups"] == sb["param_groups"]
    for key in sa["state"]:
        for name, value in sa["state"][key].items():
            assert torch.equal(value, sb["state"][key][name]), name


def _stepped(opt, model):
    _set_grads(model, 0)
    opt.step()
    _set_grads(model, 1)
    return opt


@pytest.mark.parametrize("make", [
    lambda ps: torch.optim.Adam(ps, lr=1e-3, fused=True, amsgrad=True),
    lambda ps: torch.optim.Adam(ps, lr=1e-3, foreach=True),
    lambda ps: torch.optim.Adam(ps, lr=1e-3, fused=True, maximize=True),
    lambda ps: torch.optim.AdamW(ps, lr=1e-3, fused=True),
    lambda ps: torch.optim.SGD(ps, lr=1e-3),
])
def test_other_optimizers_and_options_are_left_to_torch(make):
    model = _model()
    opt = _stepped(make(model.parameters()), model)
    before = [p.clone() for p in model.parameters()]
    assert fused_adam_step(opt) is False
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_hooks_frozen_parameters_and_two_groups_are_left_to_torch():
    model = _model()
    opt = _stepped(torch.optim.Adam(model.parameters(), lr=1e-3, fused=True), model)
    assert fused_adam_step(opt) is True
    handle = opt.register_step_post_hook(lambda *args: None)
    assert fused_adam_step(opt) is False
    handle.remove()
    next(model.parameters()).grad = None
    assert fused_adam_step(opt) is False

    model = _model()
    first, second = list(model.parameters())[:2], list(model.parameters())[2:]
    opt = _stepped(torch.optim.Adam([{"params": first}, {"params": second, "lr": 1e-2}], lr=1e-3, fused=True),
                   model)
    assert fused_adam_step(opt) is False


def test_make_adam_builds_the_fused_kernel_from_a_generator_of_parameters():
    model = _model()
    opt = make_adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    group = opt.param_groups[0]
    assert group["fused"] and group["betas"] == (0.5, 0.999) and len(group["params"]) == 4


def test_first_step_state_is_torch_optims_own():
    """The first fused_adam_step makes the state Adam._init_group makes (dtype, device, strides, key order)."""
    ref, fast = _model(), _model()
    opt_ref = torch.optim.Adam(ref.parameters(), lr=1e-2, fused=True)
    opt_fast = make_adam(fast.parameters(), lr=1e-2)
    _set_grads(ref, 0)
    _set_grads(fast, 0)
    opt_ref.step()
    assert fused_adam_step(opt_fast)
    for a, b in zip(ref.parameters(), fast.parameters()):
        assert torch.equal(a, b)
        sa, sb = opt_ref.state[a], opt_fast.state[b]
        assert list(sa) == list(sb)
        for key in sa:
            assert sa[key].dtype == sb[key].dtype and sa[key].stride() == sb[key].stride()
            assert torch.equal(sa[key], sb[key]), key


def test_a_run_without_compile_never_imports_dynamo():
    """make_adam, the first steps, zero_grad and state_dict/load_state_dict in dynamo_unimported() leave
    torch._dynamo unimported (torch.optim would import it: ~1.5 s of start-up); after the block torch's own
    dynamo-disable wrappers are back (nothing seeded is left behind)."""
    import subprocess
    import sys

    code = """
import sys, torch
from torch import nn
from genlab.training.adam import dynamo_unimported, fused_adam_step, make_adam
model = nn.Linear(4, 3)
opt = make_adam(model.parameters(), lr=1e-3)
for _ in range(2):
    model(torch.randn(8, 4)).sum().backward()
    assert fused_adam_step(opt)
    with dynamo_unimported():
        opt.zero_grad(set_to_none=True)
with dynamo_unimported():
    opt.load_state_dict(opt.state_dict())
assert "torch._dynamo" not in sys.modules, "imported"
fns = [getattr(torch.optim.Optimizer, n).__wrapped__ for n in ("add_param_group", "zero_grad", "state_dict")]
assert not any("__dynamo_disable" in f.__dict__ for f in fns), "left seeded"
opt.state_dict()  # outside the block: torch as shipped (imports dynamo to wrap the call)
assert "torch._dynamo" in sys.modules
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_only_on_the_torch_releases_it_is_tested_on(monkeypatch):
    from genlab.training import adam

    assert adam.shortcut_supported("2.14.1+cpu") and adam.shortcut_supported("2.3.0")
    assert not adam.shortcut_supported("2.15.0") and not adam.shortcut_supported("2.2.2")
    assert not adam.shortcut_supported("3.0.0") and not adam.shortcut_supported("nightly")
    model = _model()
    opt = _stepped(torch.optim.Adam(model.parameters(), lr=1e-3, fused=True), model)
    monkeypatch.setattr(torch, "__version__", "2.15.0")
    assert fused_adam_step(opt) is False


def test_a_failing_kernel_falls_back_with_the_state_untouched(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a changed private signature")

    monkeypatch.setattr(torch, "_fused_adam_", broken)
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    _set_grads(model, 0)
    assert fused_adam_step(opt) is False and len(opt.state) == 0  # first step: no state made
    monkeypatch.undo()
    opt.step()
    _set_grads(model, 1)
    snapshot = {id(p): {k: v.clone() for k, v in opt.state[p].items()} for p in model.parameters()}
    params = [p.clone() for p in model.parameters()]
    monkeypatch.setattr(torch, "_fused_adam_", broken)
    assert fused_adam_step(opt) is False
    for p, before in zip(model.parameters(), params):
        assert torch.equal(p, before)
        for key, value in snapshot[id(p)].items():
            assert torch.equal(opt.state[p][key], value), key
    monkeypatch.undo()
    opt.step()  # the caller's fallback works on that state
    assert all(float(opt.state[p]["step"]) == 2.0 for p in model.parameters())
