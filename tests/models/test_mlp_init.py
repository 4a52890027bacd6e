"""The WGAN-GP toy code's initialization of the MLPs: He-uniform hidden layers, Glorot-uniform output, zero biases."""

import math

import pytest
import torch

from ganlib.models import MLPCritic, MLPGenerator


def _linears(module):
    return [m for m in module.modules() if isinstance(m, torch.nn.Linear)]


@pytest.mark.parametrize("norm", ["none", "spectral"])
def test_bounds_and_zero_biases(norm):
    torch.manual_seed(0)
    critic = MLPCritic(2, hidden=(512, 512, 512), init="wgan-gp", norm=norm)
    generator = MLPGenerator(latent_dim=2, out_shape=[2], hidden=[512, 512, 512], output="none", init="wgan-gp")
    for model, out_features in ((critic, 1), (generator, 2)):
        layers = _linears(model)
        for k, layer in enumerate(layers):
            weight = layer.parametrizations.weight.original if norm == "spectral" and model is critic else layer.weight
            fan_out, fan_in = weight.shape
            # hidden: sqrt(6 / fan_in) = sqrt(3) * sqrt(2 / fan_in) (He); output: sqrt(6 / (fan_in + fan_out)) (Glorot)
            bound = math.sqrt(6 / (fan_in + fan_out)) if k == len(layers) - 1 else math.sqrt(6 / fan_in)
            assert weight.abs().max() <= bound
            assert weight.abs().max() > 0.95 * bound  # uniform over the whole interval, not a narrower one
            assert weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.1)  # a uniform's std is bound / sqrt 3
            assert torch.count_nonzero(layer.bias) == 0
        assert layers[-1].out_features == out_features


def test_the_first_layer_of_two_inputs_uses_its_fan_in():
    # 2 -> 512: He bound sqrt(6 / 2) = 1.732; PyTorch's default would be 1 / sqrt(2) = 0.707.
    layer = _linears(MLPCritic(2, hidden=(512,), init="wgan-gp"))[0]
    assert layer.weight.abs().max() > 1.6


def test_default_init_is_pytorchs_and_unknown_is_named():
    layer = _linears(MLPCritic(2, hidden=(512,)))[0]
    assert layer.weight.abs().max() <= 1 / math.sqrt(2) and torch.count_nonzero(layer.bias) > 0
    with pytest.raises(ValueError, match="init='he' is invalid; expected one of 'default', 'wgan-gp'"):
        MLPGenerator(init="he")
