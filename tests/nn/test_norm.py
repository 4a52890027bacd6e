import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganlib.nn import NORM_NAMES, DownBlock, Norm, UpBlock, resolve_norm


def test_names_are_the_documented_ones():
    assert set(NORM_NAMES) == {"batch", "layer", "instance", "spectral", "none"}


def test_layer_norm_is_groupnorm_with_one_group_and_per_channel_affine():
    layer = resolve_norm("layer").layer(6)
    assert isinstance(layer, nn.GroupNorm) and layer.num_groups == 1 and layer.weight.shape == (6,)


@pytest.mark.parametrize("size", [4, 8, 32])
def test_layer_norm_normalizes_each_sample_over_chw_at_any_size(size):
    layer = resolve_norm("layer").layer(3)
    out = layer(torch.randn(5, 3, size, size) * 7 + 2)
    flat = out.flatten(1)
    torch.testing.assert_close(flat.mean(1), torch.zeros(5), atol=1e-5, rtol=0)
    torch.testing.assert_close(flat.var(1, unbiased=False), torch.ones(5), atol=1e-3, rtol=0)


def test_layer_norm_does_not_mix_samples():
    layer = resolve_norm("layer").layer(3)
    x = torch.randn(4, 3, 8, 8)
    changed = x.clone()
    changed[1:] *= 100
    torch.testing.assert_close(layer(x)[0], layer(changed)[0])


def test_feature_layers_take_channels_first():
    assert isinstance(resolve_norm("batch").layer(4), nn.BatchNorm2d)
    assert isinstance(resolve_norm("instance").layer(4), nn.InstanceNorm2d)
    assert isinstance(resolve_norm("none").layer(4), nn.Identity)


def test_spectral_is_a_weight_parametrization_not_a_feature_layer():
    spec = resolve_norm("spectral")
    assert not spec.has_layer and isinstance(spec.layer(4), nn.Identity)
    conv = spec.weight(nn.Conv2d(2, 3, 4))
    assert parametrize.is_parametrized(conv, "weight")


def test_callable_is_used_as_the_feature_layer():
    spec = resolve_norm(lambda c: nn.GroupNorm(2, c))
    assert isinstance(spec, Norm) and spec.layer(4).num_groups == 2


def test_unknown_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="norm='bn'.*'batch', 'layer', 'instance', 'spectral', 'none'"):
        resolve_norm("bn")


def test_wrong_type_raises_type_error():
    with pytest.raises(TypeError, match="norm must be"):
        resolve_norm(3)


@pytest.mark.parametrize("norm", NORM_NAMES)
def test_blocks_resample_by_two(norm):
    x = torch.randn(2, 4, 8, 8)
    assert UpBlock(4, 6, norm)(x).shape == (2, 6, 16, 16)
    assert DownBlock(4, 6, norm)(x).shape == (2, 6, 4, 4)


def test_blocks_have_a_conv_bias_only_without_a_feature_layer():
    assert DownBlock(2, 3, "layer")[0].bias is None
    assert DownBlock(2, 3, "none")[0].bias is not None
    assert UpBlock(2, 3, "spectral")[0].bias is not None
