"""Conv encoder/decoder shapes for every supported size, clear errors otherwise, and the VAE module."""


import pytest
import torch

from genlab.errors import UsageError
from genlab.models.conv import ConvDecoder, ConvEncoder
from genlab.models.mlp import MLPDecoder, MLPEncoder
from genlab.models.vae import MIN_LOG_SIGMA, VAE


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (3, 64, 64), (2, 28, 28)])
def test_conv_nets_map_images_to_codes_and_back(shape):
    enc, dec = ConvEncoder(shape, 10, width=4), ConvDecoder(5, shape, width=4)
    x = torch.rand(3, *shape)
    assert enc(x).shape == (3, 10)
    assert dec(torch.randn(3, 5)).shape == (3, *shape)
    dec.train()
    assert dec(torch.randn(1, 5)).shape == (1, *shape)  # a last batch of one image still trains


@pytest.mark.parametrize("shape, fragment", [((1, 8, 8), "8x8"), ((1, 28, 32), "28x32"), ((2,), "mlp")])
def test_conv_nets_refuse_unsupported_shapes_in_one_line(shape, fragment):
    with pytest.raises(UsageError, match=fragment) as info:
        ConvEncoder(shape, 4)
    assert "\n" not in str(info.value)
    with pytest.raises(UsageError):
        ConvDecoder(4, shape)


def _vae(sigma="fixed", shape=(1, 8, 8), d=3):
    return VAE(MLPEncoder(shape, (16,), 2 * d), MLPDecoder(d, (16,), shape), d, shape, sigma=sigma)


def test_vae_forward_is_reproducible_with_a_generator_and_leaves_global_rng_alone():
    vae = _vae()
    x = torch.rand(4, 1, 8, 8)
    state = torch.get_rng_state()
    a = vae(x, generator=torch.Generator().manual_seed(3))
    b = vae(x, generator=torch.Generator().manual_seed(3))
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a.z, b.z) and a.out.shape == (4, 1, 8, 8) and a.mu.shape == (4, 3)
    # z = mu + sigma * eps: recover eps and check it is the generator's normal draw
    eps = (a.z - a.mu) / (0.5 * a.logvar).exp()
    torch.testing.assert_close(eps, torch.randn(4, 3, generator=torch.Generator().manual_seed(3)))


@pytest.mark.parametrize("sigma, shape", [("fixed", None), ("global", ()), ("pixel", (1, 8, 8))])
def test_vae_learned_sigma_is_a_parameter_with_a_floor(sigma, shape):
    vae = _vae(sigma)
    if shape is None:
        assert vae.log_sigma is None and vae.decoder_log_sigma() == 0.0
        return
    assert vae.log_sigma.shape == shape
    assert any(p is vae.log_sigma for p in vae.parameters())
    with torch.no_grad():
        vae.log_sigma.fill_(-20.0)
    assert float(vae.decoder_log_sigma().detach().min()) == pytest.approx(MIN_LOG_SIGMA)


def test_vae_rejects_unknown_sigma_mode():
    with pytest.raises(ValueError, match="learned"):
        _vae("learned")
