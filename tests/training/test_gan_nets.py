"""The GAN nets (genlab.models.gan): shapes for every buildable size, DCGAN init, refusals, the affine G."""

import pytest
import torch

from genlab.errors import UsageError
from genlab.models import gan


@pytest.mark.parametrize("size, channels", [(28, 1), (32, 3), (64, 3), (8, 1)])
def test_dcgan_nets_build_each_size_and_return_one_logit_per_image(size, channels):
    g = gan.DCGANGenerator(10, channels, size, ngf=4)
    d = gan.DCGANDiscriminator(channels, size, ndf=4)
    x = g(torch.randn(3, 10))
    assert x.shape == (3, channels, size, size)
    assert x.abs().max() <= 1  # tanh
    assert d(x).shape == (3,)


@pytest.mark.parametrize("size", [20, 30, 48, 4, 7])
def test_sizes_the_dcgan_nets_cannot_build_are_usage_errors(size):
    with pytest.raises(UsageError, match=f"image size {size}"):
        gan.DCGANGenerator(10, 1, size)


def test_dcgan_init_is_normal_0_002_and_bn_scale_near_1():
    torch.manual_seed(0)
    g = gan.DCGANGenerator(100, 1, 32, ngf=64)
    conv = g.net[3].weight  # the 256 -> 128 transposed conv: 524,288 weights
    assert conv.mean().abs() < 1e-3 and conv.std().item() == pytest.approx(0.02, rel=0.02)
    bn = g.net[1].weight
    assert bn.mean().item() == pytest.approx(1.0, abs=0.01) and bn.std().item() == pytest.approx(0.02, rel=0.3)


def test_mlp_nets_and_affine_generator():
    g = gan.MLPGenerator(4, (8,), (1, 5, 5))
    d = gan.MLPDiscriminator((1, 5, 5), (8,))
    assert g(torch.randn(2, 4)).shape == (2, 1, 5, 5) and d(g(torch.randn(2, 4))).shape == (2,)
    a = gan.AffineGenerator(0.5, 4.0)
    z = torch.tensor([[-2.0], [0.0], [2.0]])
    torch.testing.assert_close(a(z), torch.tensor([[3.0], [4.0], [5.0]]))
    with pytest.raises(UsageError, match="softmax"):
        gan.MLPGenerator(4, (8,), (1,), output="softmax")
