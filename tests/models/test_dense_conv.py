"""The dense-layer forms of G's first and D's last convolution give the ordinary convolution's outputs and
gradients, in both memory formats, keep its state-dict keys, and fall back to it for any other shape."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from genlab.models.dense_conv import FullConv2d, LatentConvTranspose2d
from genlab.models.gan import DCGANDiscriminator, DCGANGenerator


def _pair(dense_cls, plain_cls, *args, bias=False):
    torch.manual_seed(0)
    plain = plain_cls(*args, bias=bias)
    dense = dense_cls(*args, bias=bias)
    dense.load_state_dict(plain.state_dict())  # same keys, same shapes
    if bias:
        with torch.no_grad():
            plain.bias.normal_()
            dense.bias.copy_(plain.bias)
    return dense, plain


def _outputs_and_grads(module, x):
    x = x.detach().clone().requires_grad_()
    y = module(x)
    g = torch.linspace(-1, 1, y.numel()).view_as(y)
    params = [p for p in module.parameters()]
    grads = torch.autograd.grad(y, [x, *params], g)
    return y, grads


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("kernel", [4, 7])
def test_latent_transposed_conv_matches_the_convolution(channels_last, bias, kernel):
    dense, plain = _pair(LatentConvTranspose2d, nn.ConvTranspose2d, 10, 6, kernel, 1, 0, bias=bias)
    z = torch.randn(5, 10, 1, 1)
    if channels_last:
        dense, plain = (m.to(memory_format=torch.channels_last) for m in (dense, plain))
    y, grads = _outputs_and_grads(dense, z)
    y0, grads0 = _outputs_and_grads(plain, z)
    assert y.shape == y0.shape == (5, 6, kernel, kernel)
    torch.testing.assert_close(y, y0, rtol=1e-5, atol=1e-6)
    for g, g0 in zip(grads, grads0, strict=True):
        torch.testing.assert_close(g, g0, rtol=1e-5, atol=1e-6)
    # the net's memory format carries on past the layer
    assert y.is_contiguous(memory_format=torch.channels_last) == y0.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_full_conv_matches_the_convolution(channels_last, bias):
    dense, plain = _pair(FullConv2d, nn.Conv2d, 8, 3, 4, 1, 0, bias=bias)
    x = torch.randn(6, 8, 4, 4)
    if channels_last:
        dense, plain = (m.to(memory_format=torch.channels_last) for m in (dense, plain))
        x = x.to(memory_format=torch.channels_last)
    y, grads = _outputs_and_grads(dense, x)
    y0, grads0 = _outputs_and_grads(plain, x)
    assert y.shape == y0.shape == (6, 3, 1, 1)
    torch.testing.assert_close(y, y0, rtol=1e-5, atol=1e-6)
    for g, g0 in zip(grads, grads0, strict=True):
        torch.testing.assert_close(g, g0, rtol=1e-5, atol=1e-6)


def test_other_shapes_take_the_ordinary_convolution():
    dense, plain = _pair(FullConv2d, nn.Conv2d, 4, 2, 3, 1, 0)
    x = torch.randn(2, 4, 9, 9)  # the kernel does not cover the input: a real convolution, 7 x 7 out
    torch.testing.assert_close(dense(x), plain(x))
    dense_t, plain_t = _pair(LatentConvTranspose2d, nn.ConvTranspose2d, 4, 2, 3, 1, 0)
    z = torch.randn(2, 4, 2, 2)  # not a 1 x 1 map
    torch.testing.assert_close(dense_t(z), plain_t(z))


def test_dcgan_nets_use_them_and_keep_their_state_dict_keys():
    g, d = DCGANGenerator(16, 1, 32, ngf=8), DCGANDiscriminator(1, 32, ndf=8)
    assert type(g.net[0]) is LatentConvTranspose2d and type(d.net[-1]) is FullConv2d
    assert "net.0.weight" in g.state_dict() and f"net.{len(d.net) - 1}.weight" in d.state_dict()
    x = g(torch.randn(3, 16))
    assert x.shape == (3, 1, 32, 32) and d(x).shape == (3,)
