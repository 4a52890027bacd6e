"""The residual models: every size and channel count, raw scores, spectral norm where asked,
and the R3GAN-style blocks starting as their skip connections."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganlib.models import (
    R3GANCritic,
    R3GANGenerator,
    ResidualBottleneck,
    ResNetCritic,
    ResNetGenerator,
    build_model,
    get_model,
    list_models,
    ModelContext,
)

SIZES = [16, 32, 64, 128, 256]
FAMILIES = ["resnet", "wgangp-resnet", "sngan-resnet", "r3gan"]
SMALL = {"resnet": {"width": 4}, "wgangp-resnet": {"width": 4}, "sngan-resnet": {"width": 4}, "r3gan": {"width": 8, "blocks": 1, "group_width": 4}}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("channels", [1, 3])
def test_every_family_at_every_size_and_channel_count(family, size, channels):
    torch.manual_seed(0)
    context = ModelContext((channels, size, size), latent_dim=8)
    generator = build_model(f"{family}-generator", context, **SMALL[family])
    critic = build_model(f"{family}-critic", context, **SMALL[family])
    with torch.no_grad():
        images = generator(torch.randn(2, 8))
        scores = critic(images * 3.0)
    assert images.shape == (2, channels, size, size) and images.abs().max() <= 1.0
    assert scores.shape == (2,)
    assert not any(isinstance(m, nn.Sigmoid) for m in critic.modules())  # raw scores, no sigmoid


def test_the_registered_variants_and_families():
    names = set(list_models())
    for family in FAMILIES:
        assert {f"{family}-generator", f"{family}-critic"} <= names
    assert get_model("wgangp-resnet-critic", image_size=32, channels=1).config["norm"] == "none"  # no batch statistics
    assert get_model("wgangp-resnet-generator", image_size=32, channels=1).config["width"] == 128


def _spectral(module: nn.Module) -> list[bool]:
    return [parametrize.is_parametrized(m, "weight") for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def test_spectral_norm_is_on_every_layer_of_the_sngan_critic_and_off_where_not_asked():
    sngan = get_model("sngan-resnet-critic", image_size=32, channels=3, width=8)
    assert all(_spectral(sngan)) and len(_spectral(sngan)) > 10
    assert sngan.config["width"] == 8 and sngan.config["extra_blocks"] == 2
    assert not any(_spectral(get_model("wgangp-resnet-critic", image_size=32, channels=3, width=8)))
    deep = get_model("sngan-resnet-critic", image_size=64, channels=3)
    assert deep.config["multipliers"] == [1, 2, 4, 8, 16] and deep.config["final_size"] == 2 and all(_spectral(deep))


def test_sngan_widths_follow_the_paper():
    assert get_model("sngan-resnet-generator", image_size=32, channels=3).config["width"] == 256
    assert get_model("sngan-resnet-critic", image_size=32, channels=3).config["width"] == 128
    deep = get_model("sngan-resnet-generator", image_size=64, channels=3)
    assert deep.config["multipliers"] == [16, 8, 4, 2, 1] and deep.project.out_features == 1024 * 16  # 1024 at 4x4, then 512-256-128-64 at 64x64


def test_the_lectures_sparse_gradient_options():
    leaky = ResNetCritic(image_size=16, channels=1, width=4, activation="leaky_relu", downsample="maxpool")
    assert any(isinstance(m, nn.LeakyReLU) for m in leaky.modules()) and any(isinstance(m, nn.MaxPool2d) for m in leaky.modules())
    with pytest.raises(ValueError, match="activation='gelu' is invalid"):
        ResNetCritic(image_size=16, activation="gelu")
    with pytest.raises(ValueError, match="image_size=24 is not supported"):
        ResNetGenerator(image_size=24)


def test_r3gan_residual_branches_are_zero_at_initialization():
    torch.manual_seed(0)
    critic = R3GANCritic(image_size=16, channels=1, width=16, blocks=2, group_width=4)
    blocks = [m for m in critic.modules() if isinstance(m, ResidualBottleneck)]
    assert len(blocks) == 2 * 3
    for block in blocks:
        assert torch.count_nonzero(block.project.weight) == 0
        x = torch.randn(2, 16, 4, 4)
        assert torch.equal(block(x), x)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm, nn.InstanceNorm2d)) for m in critic.modules())
    assert any(m.groups > 1 for m in critic.modules() if isinstance(m, nn.Conv2d))  # grouped convolutions


def test_r3gan_blocks_learn_away_from_the_identity():
    block = ResidualBottleneck(8, expansion=2, group_width=4, blocks=1)
    x = torch.randn(3, 8, 4, 4)
    (block(x) - 1.0).square().mean().backward()
    assert block.project.weight.grad.abs().sum() > 0  # the zero layer gets a gradient, so it moves


def test_r3gan_critic_supports_the_double_backward_of_r1():
    critic = R3GANCritic(image_size=16, channels=1, width=8, blocks=1, group_width=4)
    x = torch.randn(2, 1, 16, 16, requires_grad=True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    grad.square().sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in critic.parameters())


def test_r3gan_generator_output_options():
    generator = R3GANGenerator(latent_dim=4, image_size=16, width=8, blocks=1, group_width=4, output="none")
    assert not any(isinstance(m, nn.Tanh) for m in generator.modules())
    with pytest.raises(ValueError, match="output='sigmoid' is invalid"):
        R3GANGenerator(output="sigmoid")
