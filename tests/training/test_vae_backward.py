"""The hand-written ELBO gradient of an MLP VAE equals autograd's, and training with it matches autograd."""

import pytest
import torch

from genlab import data as gdata
from genlab.config import DataConfig, RunConfig, TrainConfig
from genlab.training import vae as vae_family
from genlab.training import vae_backward
from genlab.training.task import DataInfo
from tests.training.test_vae import make_task


@pytest.fixture(scope="module")
def digits():
    return gdata.to_float(gdata.load("digits").train.images[:256])


def _autograd(task, x, seed):
    torch.manual_seed(seed)
    t = task.terms(x)
    task.model.zero_grad(set_to_none=True)
    t.loss.mean().backward()
    return t, {n: p.grad.clone() for n, p in task.model.named_parameters()}


@pytest.mark.parametrize("model", [
    {},
    {"hidden": (24, 16), "latent_dim": 2},
    {"likelihood": "gaussian", "beta": 0.3},
    {"hidden": (20,), "latent_dim": 5, "beta": 4.0},
])
def test_gradients_and_terms_equal_autograd(digits, model):
    task = make_task(**model)
    # a few ordinary steps first, so ReLUs are mixed and the posterior is away from its initial values
    for step in range(5):
        task.train_step(digits[step * 32:][:32], None, step)
    x = digits[160:224]
    t, expected = _autograd(task, x, seed=7)
    torch.manual_seed(7)
    recon, kl = vae_backward.elbo_gradients(task.model, x, likelihood=task.config.model.likelihood,
                                            beta=task.config.model.beta)
    torch.testing.assert_close(recon, t.recon, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(kl, t.kl, rtol=1e-5, atol=1e-5)
    for name, p in task.model.named_parameters():
        scale = float(expected[name].abs().max())
        assert scale > 0, name
        torch.testing.assert_close(p.grad, expected[name], rtol=0, atol=1e-5 * scale), name


def test_only_mlp_nets_with_a_fixed_likelihood_take_the_hand_path():
    assert make_task().hand_backward()
    assert make_task(likelihood="gaussian").hand_backward()
    assert not make_task(likelihood="gaussian-learned").hand_backward()
    assert not make_task(likelihood="gaussian-learned-pixel").hand_backward()
    conv = RunConfig(family="vae", data=DataConfig(spec="fashion-mnist"),
                     model=vae_family.Config(arch="conv", width=4, latent_dim=3), train=TrainConfig(device="cpu"))
    assert not vae_family.Task(conv, DataInfo((1, 28, 28), 10, "image"), torch.device("cpu")).hand_backward()
    task = make_task()
    task.distribute(lambda module: module)  # DDP or torch.compile wrap the module: autograd is needed
    assert not task.hand_backward()
    tanh_mlp = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    assert vae_backward.linear_layers(tanh_mlp) is None


def test_training_with_the_hand_path_follows_autograd(digits, monkeypatch):
    hand, auto = make_task(binarize=True), make_task(binarize=True)
    assert hand.hand_backward()
    monkeypatch.setattr(auto, "hand_backward", lambda: False)
    for step in range(40):
        x = digits[(step * 32) % 256:][:32]
        torch.manual_seed(step)
        m_hand = hand.train_step(x, None, step)
        torch.manual_seed(step)
        m_auto = auto.train_step(x, None, step)
        for key in m_auto:
            assert float(m_hand[key]) == pytest.approx(float(m_auto[key]), rel=1e-4, abs=1e-4), (step, key)
    for a, b in zip(hand.model.parameters(), auto.model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
