import math

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganlib.models import DCGANCritic, DCGANGenerator, MLPCritic

SIZES = [16, 32, 64, 128, 256]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_at_every_supported_size(size, channels):
    g = DCGANGenerator(latent_dim=8, image_size=size, channels=channels, width=2)
    d = DCGANCritic(image_size=size, channels=channels, width=2)
    x = g(torch.randn(3, 8))
    assert x.shape == (3, channels, size, size)
    assert d(x).shape == (3,)


def test_tutorial_layer_plan_at_64():
    g = DCGANGenerator()
    convs = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(100, 512), (512, 256), (256, 128), (128, 64), (64, 1)]
    assert all(c.kernel_size == (4, 4) for c in convs) and convs[0].stride == (1, 1)
    assert all(c.stride == (2, 2) for c in convs[1:])
    assert isinstance(g.net[-1], nn.Tanh)
    d = DCGANCritic()
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(1, 64), (64, 128), (128, 256), (256, 512), (512, 1)]
    assert sum(isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.2 for m in d.modules()) == 4


def test_critic_has_no_sigmoid_and_returns_unbounded_scores():
    d = DCGANCritic(image_size=16, width=4, norm="none")
    assert not any(isinstance(m, (nn.Sigmoid, nn.Tanh)) for m in d.modules())
    with torch.no_grad():
        d.net[-1].weight.mul_(1e4)
    scores = d(torch.randn(16, 1, 16, 16))
    assert scores.abs().max() > 1.0


def _pooled(modules, attr):
    return torch.cat([getattr(m, attr).detach().flatten() for m in modules])


@pytest.mark.parametrize("size", SIZES)
def test_dcgan_init_statistics(size):
    torch.manual_seed(0)
    for model in (DCGANGenerator(image_size=size, width=8), DCGANCritic(image_size=size, width=8)):
        convs = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
        w = _pooled(convs, "weight")
        assert abs(w.mean().item()) < 3 * 0.02 / math.sqrt(w.numel())
        assert w.std().item() == pytest.approx(0.02, rel=0.05)
        for conv in convs:
            assert conv.bias is None or torch.count_nonzero(conv.bias) == 0
        norms = [m for m in model.modules() if isinstance(m, (nn.BatchNorm2d, nn.GroupNorm))]
        scale = _pooled(norms, "weight")
        assert (scale - 1).abs().max() < 5 * 0.02 and scale.std() > 0.005
        assert torch.count_nonzero(_pooled(norms, "bias")) == 0


def test_spectral_critic_initializes_the_original_weight_and_wraps_every_conv():
    torch.manual_seed(0)
    d = DCGANCritic(image_size=32, width=8, norm="spectral")
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert all(parametrize.is_parametrized(c, "weight") for c in convs)
    original = torch.cat([c.parametrizations.weight.original.flatten() for c in convs])
    assert original.std().item() == pytest.approx(0.02, rel=0.05)


@pytest.mark.parametrize("bad", [8, 48, 512, 63, True, "64"])
def test_bad_image_size_is_named(bad):
    with pytest.raises(ValueError, match=f"image_size={bad!r}"):
        DCGANGenerator(image_size=bad)
    with pytest.raises(ValueError, match=f"image_size={bad!r}"):
        DCGANCritic(image_size=bad)


@pytest.mark.parametrize("bad", [0, 2, 4])
def test_bad_channels_are_named(bad):
    with pytest.raises(ValueError, match=f"channels={bad}"):
        DCGANCritic(channels=bad)


def test_bad_width_and_latent_dim_are_named():
    with pytest.raises(ValueError, match="width=0"):
        DCGANGenerator(width=0)
    with pytest.raises(ValueError, match="latent_dim=-1"):
        DCGANGenerator(latent_dim=-1)


def test_generator_rejects_wrongly_shaped_noise():
    g = DCGANGenerator(latent_dim=8, image_size=16, width=2)
    with pytest.raises(ValueError, match=r"\(N, 8\)"):
        g(torch.randn(2, 8, 1, 1))


def test_critic_rejects_wrongly_shaped_images():
    with pytest.raises(ValueError, match=r"expected \(N, 1, 16, 16\)"):
        DCGANCritic(image_size=16, width=2)(torch.randn(2, 1, 32, 32))


def test_config_rebuilds_an_identical_architecture():
    g = DCGANGenerator(latent_dim=7, image_size=32, channels=3, width=4, norm="instance")
    clone = DCGANGenerator(**g.config)
    clone.load_state_dict(g.state_dict())


def test_mlp_critic_shapes_and_bad_norm():
    assert MLPCritic(6, hidden=(4,))(torch.randn(3, 2, 3)).shape == (3,)
    with pytest.raises(ValueError, match="norm='batch'"):
        MLPCritic(2, norm="batch")


def test_any_weight_parametrization_gets_the_dcgan_initialization():
    from ganlib.nn import Norm

    weight_norm = Norm("weight", layer=lambda c: torch.nn.Identity(), weight=torch.nn.utils.parametrizations.weight_norm, has_layer=False)
    torch.manual_seed(0)
    critic = DCGANCritic(image_size=32, width=32, norm=weight_norm)
    weight = critic.net[2][0].weight  # a hidden convolution, recomposed from g and v
    assert abs(weight.std().item() - 0.02) < 0.002 and abs(weight.mean().item()) < 0.002
